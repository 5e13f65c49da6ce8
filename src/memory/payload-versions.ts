import type { PayloadSample, PayloadSampleQuery, PayloadVersionCount, PayloadVersionQuery } from '../port/rows.js';
import type { JobHeaders } from '../types.js';
import { FINGERPRINT_HEADER } from '../schema/fingerprint-header.js';
import type { JobRecord } from './records.js';

/**
 * The payload versions of the jobs waiting (not running), per entrypoint, fingerprint and
 * status: at most `countCap` jobs of an entrypoint counted, the capped ones named.
 */
export function countPayloadVersions(jobs: Iterable<JobRecord>, query: PayloadVersionQuery): { counts: PayloadVersionCount[]; capped: string[] } {
  const counts = new Map<string, PayloadVersionCount>();
  const capped: string[] = [];
  const all = [...jobs];
  for (const entrypoint of new Set(query.entrypoints)) {
    const waiting = all.filter((j) => j.entrypoint === entrypoint && j.status !== 'picked');
    if (waiting.length > query.countCap) capped.push(entrypoint);
    for (const job of waiting.slice(0, query.countCap)) {
      const fingerprint = stampedFingerprint(job.headers);
      const key = `${entrypoint}\u0000${fingerprint}\u0000${job.status}`;
      const row = counts.get(key) ?? { entrypoint, fingerprint, status: job.status, count: 0 };
      row.count++;
      counts.set(key, row);
    }
  }
  return { counts: [...counts.values()], capped };
}

/** Up to `sample` waiting jobs of each version asked for, oldest first, with their payloads. */
export function samplePayloads(jobs: Iterable<JobRecord>, query: PayloadSampleQuery): PayloadSample[] {
  const live = [...jobs].filter((j) => j.status !== 'picked').sort((a, b) => a.id - b.id);
  return query.versions.flatMap(({ entrypoint, fingerprint }) =>
    live
      .filter((j) => j.entrypoint === entrypoint && stampedFingerprint(j.headers) === fingerprint)
      .slice(0, query.sample)
      .map((j) => ({ id: j.id, entrypoint, fingerprint, payload: JSON.parse(j.payload) as unknown })),
  );
}

/** The payload fingerprint a producer stamped in these headers (JSON text), null without one. */
function stampedFingerprint(headers: string): string | null {
  const value = (JSON.parse(headers) as JobHeaders)[FINGERPRINT_HEADER];
  return typeof value === 'string' ? value : null;
}
