import type { QueueBackend } from '../port/queue-backend.js';
import type { ClaimedJob, ReleasedJob } from '../port/rows.js';
import type { Logger } from '../types.js';

/**
 * Gives jobs back to the queue (QueueBackend.release). One that cannot be given back stays
 * picked by this worker, and the rescuer returns it once its heartbeat lapses: logged, not thrown.
 */
export async function giveBack(backend: QueueBackend, workerId: string, logger: Logger, jobs: readonly ReleasedJob[]): Promise<void> {
  if (jobs.length === 0) return;
  try {
    await backend.release(workerId, jobs);
  } catch (err) {
    logger.error({ err, jobs: jobs.map((j) => j.id) }, 'pgqueuer: could not give jobs back; they will be rescued after their heartbeat expires');
  }
}

/** Jobs claimed or handed over but never started: they go back with their attempt unused. */
export function unstarted(jobs: readonly ClaimedJob[]): ReleasedJob[] {
  return jobs.map((j) => ({ id: j.id, started: false }));
}
