import type { ClaimedJob } from '../port/rows.js';
import type { Logger } from '../types.js';
import type { Verdict } from './judge.js';

/**
 * Tells the logger how an attempt that did not succeed ended. Every failed attempt is a
 * warning, retried or not: a handler that keeps throwing (a stub's "not implemented yet")
 * must be visible in a worker's output, not only in the job log.
 */
export function logOutcome(logger: Logger, job: ClaimedJob, verdict: Verdict): void {
  if (verdict.outcome === 'successful') return;
  const fields = { entrypoint: job.entrypoint, jobId: job.id, attempt: job.attempt };
  // The thrown Error when there is one (its stack helps most), else what the log keeps of it.
  const err = verdict.failure instanceof Error ? verdict.failure : verdict.error;
  switch (verdict.outcome) {
    case 'retried':
      logger.warn({ ...fields, err, retryInMs: verdict.retryDelayMs }, `pgqueuer: job ${job.id} (${job.entrypoint}) attempt ${job.attempt} failed; retrying`);
      return;
    case 'exception':
      logger.warn({ ...fields, err }, `pgqueuer: job ${job.id} (${job.entrypoint}) attempt ${job.attempt} failed; no attempts left`);
      return;
    case 'held':
      logger.warn({ ...fields, err }, `pgqueuer: job ${job.id} (${job.entrypoint}) attempt ${job.attempt} failed; the job is held until requeued`);
      return;
    case 'snoozed':
      logger.debug({ ...fields, retryInMs: verdict.retryDelayMs }, `pgqueuer: job ${job.id} (${job.entrypoint}) asked to run later`);
      return;
    case 'canceled':
      logger.info(fields, `pgqueuer: job ${job.id} (${job.entrypoint}) canceled`);
      return;
  }
}
