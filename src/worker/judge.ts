import { JobCanceledSignal, JobTimeoutError, JobTimeoutSignal, PermanentJobError, RetryLaterError, UnknownSchemaVersionError, ValidationError } from '../errors.js';
import { toJsonText } from '../json-text.js';
import type { ResolvedEntrypoint, ResolvedRetry } from '../options.js';
import type { AttemptOutcome } from '../port/rows.js';
import { tooManySnoozes, unknownSchemaVersion } from '../port/system-records.js';
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
  /** Earlier attempts that asked to run later: nor do these. */
  snoozes: number;
  retry: ResolvedRetry;
  onFailure: ResolvedEntrypoint['onFailure'];
  maxSnoozes: number;
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
 * - A job canceled while it ran is `canceled`, whether its handler then threw or returned.
 * - An attempt aborted for its timeout fails with `JobTimeoutError`, whatever it then threw or
 *   returned (a result that came after the limit is not a result in time).
 * - A return is a success, its value stored as JSON; a value JSON cannot store fails the job.
 * - `UnknownSchemaVersionError` (the payload has a version this worker does not know) gives
 *   the job back, logged `snoozed`, for a worker that knows it: after a growing delay, without
 *   using the retry budget, up to `maxSnoozes` times, then it fails saying why.
 * - `RetryLaterError` snoozes: the job runs again after its delay, without using the retry
 *   budget, up to the entrypoint's `maxSnoozes` times.
 * - `PermanentJobError`, a `ValidationError` (a payload or result that does not fit its
 *   schema: another attempt cannot fix it), or no attempts left: the job fails for good,
 *   `exception` (or `held` under `onFailure: 'hold'`).
 * - Otherwise `retried`, after the policy's backoff.
 */
export function judge(result: HandlerResult, attempt: Attempt, random: () => number = Math.random): Verdict {
  if (attempt.abortReason instanceof JobCanceledSignal) {
    return result.ok ? { outcome: 'canceled' } : { outcome: 'canceled', error: serializeError(result.error) };
  }
  if (attempt.abortReason instanceof JobTimeoutSignal) {
    return failure(new JobTimeoutError(attempt.abortReason.jobId, attempt.abortReason.timeoutMs), attempt, random);
  }
  if (result.ok) {
    if (result.value === undefined) return { outcome: 'successful' };
    try {
      return { outcome: 'successful', result: toJsonText(result.value, 'result', attempt.maxResultBytes) };
    } catch (err) {
      return failedForGood(err, attempt.onFailure);
    }
  }
  if (result.error instanceof UnknownSchemaVersionError) {
    if (attempt.snoozes >= attempt.maxSnoozes) {
      const error = unknownSchemaVersion(result.error.message, attempt.snoozes, attempt.maxSnoozes);
      return { ...failedForGood(result.error, attempt.onFailure), error: { ...error, details: serializeError(result.error).details } };
    }
    return { outcome: 'snoozed', error: serializeError(result.error), retryDelayMs: giveBackDelayMs(attempt.snoozes), failure: result.error };
  }
  if (result.error instanceof RetryLaterError) {
    if (attempt.snoozes >= attempt.maxSnoozes) {
      return { ...failedForGood(result.error, attempt.onFailure), error: tooManySnoozes(attempt.snoozes, attempt.maxSnoozes) };
    }
    return { outcome: 'snoozed', error: serializeError(result.error), retryDelayMs: result.error.delayMs };
  }
  return failure(result.error, attempt, random);
}

/**
 * How long a job of an unknown payload version waits before it is claimed again: short at
 * first (workers that know it are likely running already during a rolling deploy), doubling
 * so that a fleet of workers that all lack it does not spin on it, capped at 30 s.
 */
export function giveBackDelayMs(snoozes: number): number {
  return Math.min(30_000, 500 * 2 ** Math.min(snoozes, 6));
}

/** A failed attempt: retried by the policy, or failed for good. */
function failure(thrown: unknown, attempt: Attempt, random: () => number): Verdict {
  const permanent = thrown instanceof PermanentJobError || thrown instanceof ValidationError;
  if (permanent || attempt.attempt - attempt.rescues - attempt.snoozes >= attempt.retry.maxAttempts) {
    return failedForGood(thrown, attempt.onFailure);
  }
  return { outcome: 'retried', error: serializeError(thrown), retryDelayMs: retryDelayMs(attempt.retry, attempt.attempt - attempt.snoozes, random), failure: thrown };
}

/** The verdict for a job that fails for good: in the log, or held. */
export function failedForGood(thrown: unknown, onFailure: ResolvedEntrypoint['onFailure'], error: JobError = serializeError(thrown)): Verdict {
  return { outcome: onFailure === 'hold' ? 'held' : 'exception', error, failure: thrown };
}
