import { shown } from './shown-value.js';
import type { JobError } from './types.js';
import { PgQueuerError } from './pgqueuer-error.js';

export { PgQueuerError } from './pgqueuer-error.js';
// Grouped by concept in their own modules; every error is still imported from here.
export * from './database-errors.js';
export * from './job-signals.js';

/** A dedupe key is already held by a queued or running job of the same entrypoint. */
export class DuplicateJobError extends PgQueuerError {
  constructor(readonly duplicates: ReadonlyArray<DuplicateKey>) {
    const listed = duplicates.map((d) => `"${d.dedupeKey}" (${d.entrypoint}): ${DUPLICATE_REASONS[d.reason ?? 'live']}`).join('; ');
    super(`dedupe key taken, nothing was enqueued: ${listed}`);
  }

  get dedupeKeys(): string[] {
    return this.duplicates.map((d) => d.dedupeKey);
  }
}

/** A dedupe key an enqueue could not take, and why. */
export interface DuplicateKey {
  entrypoint: string;
  dedupeKey: string;
  /**
   * `live`: a queued, scheduled or running job holds it; `batch`: the batch repeats it;
   * `running`: `onConflict: 'replace'` cannot replace a running job; `window`: a job that
   * finished within its `dedupeWindowMs` holds it. Default `live`.
   */
  reason?: 'live' | 'batch' | 'running' | 'window';
}

const DUPLICATE_REASONS: Record<NonNullable<DuplicateKey['reason']>, string> = {
  live: 'a queued or running job holds it',
  batch: 'the batch has it more than once',
  running: 'its job is running and cannot be replaced',
  window: 'a job that holds it finished within its dedupe window',
};

/** A payload (or result) cannot be stored: not representable as JSON, or too large. */
export class PayloadError extends PgQueuerError {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** Options passed to pgqueuer are invalid; the message names the option. */
export class ConfigError extends PgQueuerError {}

/** A cron expression (or its timezone) is invalid; the message names it and why. */
export class InvalidCronError extends ConfigError {
  constructor(
    readonly expression: string,
    reason: string,
  ) {
    super(`invalid cron expression "${expression}": ${reason}`);
  }
}

/** A job definition in the schema file is invalid; `entrypoint` names it. */
export class SchemaDefinitionError extends ConfigError {
  constructor(
    readonly entrypoint: string,
    problem: string,
  ) {
    super(`job "${entrypoint}": ${problem}`);
  }

  /** @deprecated renamed `entrypoint`. */
  get job(): string {
    return this.entrypoint;
  }
}

/** No job of that name is declared in the schema file. */
export class UnknownJobError extends PgQueuerError {
  constructor(
    readonly entrypoint: string,
    known: readonly string[],
  ) {
    super(`no job "${entrypoint}" is declared in the schema (declared: ${known.join(', ') || 'none'})`);
  }

  /** @deprecated renamed `entrypoint`. */
  get job(): string {
    return this.entrypoint;
  }
}

export interface ValidationIssue {
  /** Where in the value, e.g. "to" or "items[2].sku"; "" for the value itself. */
  path: string;
  message: string;
  code: string;
}

/**
 * A payload or result does not match its zod schema. On enqueue nothing is written; in a
 * worker the job fails permanently (it is not retried) with these issues in its log entry.
 */
export class ValidationError extends PgQueuerError {
  constructor(
    readonly entrypoint: string,
    readonly what: 'payload' | 'result',
    readonly issues: readonly ValidationIssue[],
    readonly jobId?: number,
  ) {
    const listed = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super(`invalid ${what} for ${jobId === undefined ? '' : `job ${jobId} `}"${entrypoint}": ${listed}`);
  }

  /** @deprecated renamed `entrypoint`. */
  get job(): string {
    return this.entrypoint;
  }

  /** Stored with the job's log entry. */
  get details(): unknown {
    return { what: this.what, issues: this.issues };
  }
}

/**
 * A worker met a job whose producer stamped a payload version this worker does not know (not
 * its current schema, not in `previous`), and the payload does not fit its schema: most often
 * a producer deployed ahead of this worker. The worker gives the job back for one that knows
 * the version, without using the job's retry budget; after `maxSnoozes` give-backs the job
 * fails with this error.
 */
export class UnknownSchemaVersionError extends PgQueuerError {
  constructor(
    readonly entrypoint: string,
    readonly jobId: number | undefined,
    /** The fingerprint the producer stamped. */
    readonly fingerprint: string,
    /** The fingerprints this worker knows: its current one, then `previous` oldest first. */
    readonly known: readonly string[],
    /** What the current schema found wrong with the payload. */
    readonly issues: readonly ValidationIssue[],
  ) {
    const listed = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super(
      `job ${jobId === undefined ? '' : `${jobId} `}of "${entrypoint}" was written with payload version ${fingerprint}, which this worker does not know ` +
        `(it knows ${known.join(', ')}), and does not fit its schema: ${listed}`,
    );
  }

  /** Stored with the job's log entry. */
  get details(): unknown {
    return { fingerprint: this.fingerprint, known: this.known, issues: this.issues };
  }
}

/** A method was called in a state that does not allow it (e.g. `run()` twice). */
export class StateError extends PgQueuerError {}

/**
 * Thrown by a handler to fail the job without further attempts, whatever its retry policy.
 * Use it for errors that another attempt cannot fix (bad input, a deleted record).
 */
export class PermanentJobError extends PgQueuerError {}

/** What an attempt that ran past `timeoutMs` failed with (retried by the policy like any failure). */
export class JobTimeoutError extends PgQueuerError {
  constructor(
    readonly jobId: number,
    readonly timeoutMs: number,
  ) {
    super(`job ${jobId} timed out after ${timeoutMs} ms`);
  }
}

/**
 * Thrown by a handler to run the job again later: the attempt is logged `snoozed`, does not
 * use the retry budget, and the job waits `delayMs` (a job snoozed too often fails, saying so).
 */
export class RetryLaterError extends PgQueuerError {
  constructor(
    readonly delayMs: number,
    readonly reason?: string,
  ) {
    super(reason ? `retry later (in ${delayMs} ms): ${reason}` : `retry later (in ${delayMs} ms)`);
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
      throw new ConfigError(`RetryLaterError: delayMs must be milliseconds ≥ 0, got ${shown(delayMs)}`);
    }
  }
}

/** The awaited job ended as `exception`, or is held; `error` is what its last attempt threw. */
export class JobFailedError extends PgQueuerError {
  constructor(
    readonly jobId: number,
    readonly error: JobError,
    /** The job is held (`onFailure: 'hold'`): requeue it to run it again. */
    readonly held = false,
  ) {
    super(`job ${jobId} ${held ? 'failed and is held' : 'failed'}: ${error.name}: ${error.message}`);
  }
}

/** The awaited job was canceled. */
export class JobCanceledError extends PgQueuerError {
  constructor(readonly jobId: number) {
    super(`job ${jobId} was canceled`);
  }
}

/** The job did not finish within the wait's timeout. The job itself is left alone. */
export class WaitTimeoutError extends PgQueuerError {
  constructor(
    readonly jobId: number,
    readonly timeoutMs: number,
  ) {
    super(`job ${jobId} did not finish within ${timeoutMs} ms (it keeps running; only the wait gave up)`);
  }
}

/** No live job and no log entry has this id (never enqueued, or its log entry was pruned). */
export class JobNotFoundError extends PgQueuerError {
  constructor(readonly jobId: number) {
    super(`no job ${jobId}: it was never enqueued, or it finished and its log entry was pruned`);
  }
}

/** An enqueue's `after` names jobs that do not exist (or whose log entries were pruned); nothing was enqueued. */
export class ParentNotFoundError extends JobNotFoundError {
  constructor(readonly parentIds: readonly number[]) {
    super(parentIds[0]!);
    this.message = `after: no job ${parentIds.join(', ')} (never enqueued, or finished and pruned); nothing was enqueued`;
  }
}
