import { JobCanceledSignal, PermanentJobError, ValidationError } from '../errors.js';
import { toJsonText } from '../json-text.js';
import type { ResolvedRetry } from '../options.js';
import type { AttemptOutcome } from '../port/rows.js';
import type { JobError } from '../types.js';
import { serializeError } from './error-record.js';
import { retryDelayMs } from './retry-delay.js';

/** How a handler ended: it returned `value`, or threw `error`. */
export type HandlerResult = { ok: true; value: unknown } | { ok: false; error: unknown };

/** What the judge needs to know of the attempt. */
export interface Attempt {
  attempt: number;
  /** Earlier attempts lost with their worker: they do not use the retry budget. */
  rescues: number;
  retry: ResolvedRetry;
  /** The reason the attempt's signal was aborted with, if it was. */
  abortReason: unknown;
  maxResultBytes: number;
}

/** The outcome to record for an attempt. */
export interface Verdict {
  outcome: AttemptOutcome;
  error?: JobError;
  /** JSON text of the handler's return value. */
  result?: string;
  retryDelayMs?: number;
  /** The thrown value behind a failure, for spans and metrics (not for a cancellation's). */
  failure?: unknown;
}

/**
 * Decides what a handler's return or throw means for its job. Pure: the same inputs always
 * give the same verdict (`random` only jitters a retry's delay).
 *
 * - A return is a success, its value stored as JSON; a value JSON cannot store fails the job.
 * - A throw after the job was canceled is `canceled`.
 * - `PermanentJobError`, a `ValidationError` (a payload or result that does not fit its
 *   schema: another attempt cannot fix it), or no attempts left: `exception`.
 * - Otherwise `retried`, after the policy's backoff.
 */
export function judge(result: HandlerResult, attempt: Attempt, random: () => number = Math.random): Verdict {
  if (result.ok) {
    if (result.value === undefined) return { outcome: 'successful' };
    try {
      return { outcome: 'successful', result: toJsonText(result.value, 'result', attempt.maxResultBytes) };
    } catch (err) {
      return { outcome: 'exception', error: serializeError(err), failure: err };
    }
  }
  const error = serializeError(result.error);
  if (attempt.abortReason instanceof JobCanceledSignal) return { outcome: 'canceled', error };
  const permanent = result.error instanceof PermanentJobError || result.error instanceof ValidationError;
  if (permanent || attempt.attempt - attempt.rescues >= attempt.retry.maxAttempts) {
    return { outcome: 'exception', error, failure: result.error };
  }
  return { outcome: 'retried', error, retryDelayMs: retryDelayMs(attempt.retry, attempt.attempt, random), failure: result.error };
}
