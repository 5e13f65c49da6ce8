import { GROUP_HEADER } from '../port/rows.js';
import type { JobHeaders } from '../types.js';

/** What the walk needs of a queued job. */
export interface GroupedJob {
  id: number;
  priority: number;
  group: string;
}

/** A job's group from its headers (JSON text): '' for none, as the SQL's group key. */
export function groupOfHeaders(headers: string): string {
  const value = (JSON.parse(headers) as JobHeaders)[GROUP_HEADER];
  return value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The grouped half of a claim, as claim_jobs does it: the groups with queued jobs in key
 * order, starting after `resumeAfter` and wrapping around; from each, in priority then id
 * order, what its limit leaves (`perGroup` minus its running jobs; all of `cap` when 0), until
 * `cap` jobs are taken. Returns them in walk order.
 */
export function takeGroupTurns<J extends GroupedJob>(
  queued: readonly J[],
  running: ReadonlyMap<string, number>,
  perGroup: number,
  cap: number,
  resumeAfter: string,
  compare: (a: string, b: string) => number,
): J[] {
  const byGroup = new Map<string, J[]>();
  for (const job of queued) {
    const list = byGroup.get(job.group);
    if (list) list.push(job);
    else byGroup.set(job.group, [job]);
  }
  const keys = [...byGroup.keys()].sort(compare);
  const first = keys.findIndex((k) => compare(k, resumeAfter) > 0);
  const order = first < 0 ? keys : [...keys.slice(first), ...keys.slice(0, first)];
  const taken: J[] = [];
  for (const key of order) {
    if (taken.length >= cap) break;
    const room = perGroup > 0 ? Math.max(0, perGroup - (running.get(key) ?? 0)) : cap;
    const jobs = byGroup.get(key)!.sort((a, b) => b.priority - a.priority || a.id - b.id);
    taken.push(...jobs.slice(0, Math.min(room, cap - taken.length)));
  }
  return taken;
}
