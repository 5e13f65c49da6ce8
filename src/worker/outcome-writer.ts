import type { Instruments } from '../observability/instruments.js';
import type { QueueBackend } from '../port/queue-backend.js';
import type { ClaimedJob, Completion } from '../port/rows.js';
import type { Logger } from '../types.js';
import { CompletionWriter } from './completion-writer.js';
import type { Verdict } from './judge.js';

/**
 * Outcomes per write statement at most: while one write is in flight the next batch
 * accumulates, so under load batches grow to what a write's duration lets through.
 */
const MAX_OUTCOME_BATCH = 4_000;

/** The outcome to record for a job that ended with `verdict` (durationMs 0 when it never ran). */
export function completionOf(job: ClaimedJob, verdict: Verdict, durationMs: number | undefined): Completion {
  const completion: Completion = { id: job.id, attempt: job.attempt, entrypoint: job.entrypoint, outcome: verdict.outcome, durationMs: durationMs ?? 0 };
  if (verdict.error !== undefined) completion.error = verdict.error;
  if (verdict.result !== undefined) completion.result = verdict.result;
  if (verdict.retryDelayMs !== undefined) completion.retryDelayMs = verdict.retryDelayMs;
  return completion;
}

export interface OutcomeWriterParts {
  backend: QueueBackend;
  workerId: string;
  heartbeatIntervalMs: number;
  logger: Logger;
  instruments: Instruments;
  /** After each write: the slots of the jobs written are free. */
  freed(): void;
}

/**
 * A worker's completion writer: outcomes written in batches as this worker's, each accepted
 * one counted in the metrics, each refused one (the job taken over by another worker) logged.
 */
export function outcomeWriter(parts: OutcomeWriterParts): CompletionWriter {
  const { backend, workerId, logger, instruments } = parts;
  return new CompletionWriter({
    write: (batch) => backend.complete(workerId, batch),
    maxBatch: MAX_OUTCOME_BATCH,
    drainTimeoutMs: Math.max(5_000, parts.heartbeatIntervalMs),
    logger,
    written: (batch, accepted) => {
      for (const c of batch) {
        if (accepted.has(c.id)) instruments.recorded(c.entrypoint, c.outcome, c.durationMs);
        else logger.warn({ jobId: c.id, attempt: c.attempt }, 'pgqueuer: outcome ignored, the job was taken over by another worker');
      }
      parts.freed();
    },
  });
}
