import type { PgQueuer } from '../pgqueuer.js';
import type { AnyJobStatus } from '../types.js';

/**
 * Ids a command was given but could not act on, each said why on stderr: no such job, or the
 * status that ruled it out. Like `rm a b` with b missing, the rest of the command still runs
 * and its verdict is exit 1, so a script learns of every id that did nothing.
 */
export async function reportMissedJobs(pgq: PgQueuer, ids: readonly number[], verb: string): Promise<boolean> {
  if (ids.length === 0) return false;
  const unknown: number[] = [];
  const byStatus = new Map<AnyJobStatus, number[]>();
  // Only the misses are looked up, one by one: they are few, and only on this unhappy path.
  for (const id of ids) {
    const job = await pgq.getJob(id);
    if (!job) unknown.push(id);
    else byStatus.set(job.status, [...(byStatus.get(job.status) ?? []), id]);
  }
  if (unknown.length > 0) console.error(`pgq: no job ${unknown.join(', ')} (never enqueued, or finished and pruned)`);
  for (const [status, of] of byStatus) console.error(`pgq: not ${verb}, ${of.length === 1 ? 'job is' : 'jobs are'} ${status}${HINTS[verb]?.[status] ?? ''}: ${of.join(', ')}`);
  return true;
}

/** What to do instead, where there is something. */
const HINTS: Record<string, Partial<Record<AnyJobStatus, string>>> = {
  deleted: { picked: ' (running: pgq cancel it)' },
};
