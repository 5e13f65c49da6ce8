import { shown } from './shown-value.js';
import type { JobError } from './types.js';

/**
 * Every error pgqueuer throws on purpose is a `PgQueuerError`, so callers can tell them from
 * their own failures with one `instanceof`, and each subclass carries the facts a caller needs
 * to act on (the key, the entrypoint, the path) as fields, not only in the message.
 */
export class PgQueuerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The database could not be reached, refused the connection, or the connection was lost
 * during a call. `cause` is the driver's error.
 */
export class ConnectionError extends PgQueuerError {
  /**
   * The connection died after the statement was sent and before its answer came: it may have
   * committed (an enqueue may have written its jobs). Check before repeating a write, or give
   * it a `dedupeKey` so a repeat is harmless. False when nothing was sent or the transaction
   * was rolled back.
   */
  readonly mayHaveCommitted: boolean;

  constructor(
    message: string,
    readonly target: string,
    options?: { cause?: unknown; mayHaveCommitted?: boolean },
  ) {
    super(message, options);
    this.mayHaveCommitted = options?.mayHaveCommitted ?? false;
  }
}

/**
 * A write was refused because the database is read-only: a hot standby (connected to a
 * replica, or the primary was demoted by a failover) or `default_transaction_read_only`.
 * Nothing was written.
 */
export class ReadOnlyError extends PgQueuerError {
  constructor(
    detail: string,
    /** What pgqueuer was running (a statement's name, such as `enqueue_one`), when known. */
    readonly statement?: string,
    options?: { cause?: unknown },
  ) {
    super(`the database is read-only (a standby, or default_transaction_read_only): ${detail}`, options);
  }
}

/** The server canceled a statement that ran past its `statement_timeout`. It did not commit. */
export class StatementTimeoutError extends PgQueuerError {
  constructor(
    detail: string,
    /** What pgqueuer was running (a statement's name, such as `enqueue_one`), when known. */
    readonly statement?: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${statement ? `pgqueuer's "${statement}" statement` : 'a statement'} ran past statement_timeout and was canceled (${detail}): ` +
        'raise statement_timeout for this role or database, or look for what holds a lock on its tables',
      options,
    );
  }
}

/** What a `PrivilegeError` found missing. */
export interface MissingPrivilege {
  /** The kind of object, as PostgreSQL names it: `table`, `schema`, `sequence`, `function`, `database`, … */
  kind: string;
  /** The object, schema-qualified when known (`pgqueuer.jobs`). */
  object: string;
  /** The privileges to grant (`INSERT`, `SELECT`, `USAGE`, …); empty when they could not be told. */
  privileges: readonly string[];
  /** The role pgqueuer connected as, when known. */
  role?: string;
  /** The statement an administrator can run to fix it (`grant INSERT on pgqueuer.jobs to app`), when the privileges could be told. */
  grant?: string;
}

/**
 * The database role lacks a privilege a call needs (PostgreSQL's "permission denied"). The
 * message names the role, the object and the GRANT that fixes it; nothing was written.
 */
export class PrivilegeError extends PgQueuerError {
  readonly kind: string;
  readonly object: string;
  readonly privileges: readonly string[];
  readonly role: string | undefined;
  readonly grant: string | undefined;

  constructor(serverMessage: string, missing: MissingPrivilege, options?: { cause?: unknown }) {
    const who = missing.role ? `role ${missing.role}` : 'the role pgqueuer connects as';
    const lacks = missing.privileges.length > 0 ? missing.privileges.join(', ') : 'a privilege';
    super(
      `${serverMessage} (${who} lacks ${lacks} on ${missing.kind} ${missing.object}): ` +
        (missing.grant ?? `grant ${who} the privileges pgqueuer's statements need on ${missing.object}`) +
        ' (`npx pgq grant --worker|--producer|--reader <role>` grants all a kind of role needs)',
      options,
    );
    this.kind = missing.kind;
    this.object = missing.object;
    this.privileges = missing.privileges;
    this.role = missing.role;
    this.grant = missing.grant;
  }
}

/**
 * The server refused one of pgqueuer's prepared statements as already prepared, or as never
 * prepared, on a connection that had prepared it. A session's prepared statements then do not
 * stay with it: a pooler hands each transaction to another server connection (PgBouncer in
 * transaction pooling mode before 1.21, or without `max_prepared_statements`). Nothing was
 * written by the statement refused (an enqueue that rejects with this enqueued nothing).
 * Turn prepared statements off for connections through such a pooler.
 */
export class PreparedStatementsUnsupportedError extends PgQueuerError {
  constructor(
    /** What the server said (`prepared statement "pgq_enqueue_one_…" already exists`). */
    readonly detail: string,
    /** What pgqueuer was running (a statement's name, such as `enqueue_one`), when known. */
    readonly statement?: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${statement ? `pgqueuer's "${statement}" statement` : 'a statement'} was refused (${detail}), nothing was written: ` +
        'the connection goes through a pooler that does not keep prepared statements per session ' +
        '(PgBouncer with pool_mode=transaction): set preparedStatements: false ' +
        '(pgq --no-prepared-statements, or PGQ_PREPARED_STATEMENTS=false)',
      options,
    );
  }
}

/** The pgqueuer tables are missing from the database (run `pgq install`). */
export class SchemaNotInstalledError extends PgQueuerError {
  constructor(
    readonly schema: string,
    options?: { cause?: unknown },
  ) {
    super(`pgqueuer is not installed in schema "${schema}": run \`npx pgq install${schema === 'pgqueuer' ? '' : ` --schema-name ${schema}`}\``, options);
  }
}

/** The installed schema is older or newer than this version of pgqueuer expects. */
export class SchemaVersionError extends PgQueuerError {
  constructor(
    readonly schema: string,
    readonly installed: number,
    readonly expected: number,
  ) {
    super(
      installed < expected
        ? `pgqueuer schema "${schema}" is at migration ${installed}, this version needs ${expected}: run \`npx pgq upgrade\``
        : `pgqueuer schema "${schema}" is at migration ${installed}, newer than this version of pgqueuer knows (${expected}): upgrade the pgqueuer package`,
    );
  }
}

/**
 * `uninstall` would drop more than pgqueuer's own tables, so it dropped nothing: the schema is
 * not pgqueuer's (it has no pgqueuer migrations table), it also holds tables that are not
 * pgqueuer's (pass `force` to drop them with it), or objects outside it depend on its tables.
 */
export class UninstallRefusedError extends PgQueuerError {
  constructor(
    readonly schema: string,
    readonly reason: 'not-pgqueuer' | 'other-tables' | 'dependents',
    /** The tables (and views) in the schema that are not pgqueuer's. */
    readonly otherTables: readonly string[],
    /** For `dependents`: what PostgreSQL says depends on the schema's tables. */
    readonly detail?: string,
  ) {
    const listed = listNames(otherTables);
    const tables = `${otherTables.length} ${otherTables.length === 1 ? 'table' : 'tables'}`;
    super(
      reason === 'not-pgqueuer'
        ? otherTables.length === 0
          ? `schema "${schema}" holds no pgqueuer migrations table (and no tables): it is not pgqueuer's, refusing to drop it`
          : `schema "${schema}" holds ${tables} that are not pgqueuer's (${listed}) and no pgqueuer migrations table: refusing to drop it`
        : reason === 'other-tables'
          ? `schema "${schema}" is pgqueuer's but also holds ${tables} that are not (${listed}): refusing to drop it; pass force: true (pgq uninstall --force) to drop them with it`
          : `objects outside schema "${schema}" depend on its tables (${detail ?? 'see PostgreSQL\'s log'}): refusing to drop them; drop those first, or pass force: true (pgq uninstall --force) to drop them with it`,
    );
  }
}

/** Up to ten names, quoted (control characters escaped), then how many more. */
function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 10).map((n) => JSON.stringify(n)).join(', ');
  return names.length > 10 ? `${shown} and ${names.length - 10} more` : shown;
}

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

/**
 * The base of the reasons a running job's `ctx.signal` is aborted with. Not a `PgQueuerError`:
 * a handler that catches pgqueuer's errors (`catch (e) { if (e instanceof PgQueuerError) … }`)
 * must not swallow its own abort by accident.
 */
export class PgQueuerSignal extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The reason a running job's `ctx.signal` is aborted when someone cancels the job. */
export class JobCanceledSignal extends PgQueuerSignal {
  constructor(readonly jobId: number) {
    super(`job ${jobId} was canceled`);
  }
}

/**
 * The reason a running job's `ctx.signal` is aborted when the worker shuts down before the
 * handler finished, or loses the job to another worker (its heartbeat was too old).
 */
export class JobAbandonedSignal extends PgQueuerSignal {
  constructor(
    readonly jobId: number,
    readonly why: 'shutdown' | 'lost',
  ) {
    super(
      why === 'shutdown'
        ? `worker shut down before job ${jobId} finished; the job goes back to the queue`
        : `job ${jobId} was taken over by another worker after its heartbeat expired`,
    );
  }
}

/** The reason a running job's `ctx.signal` is aborted when its attempt ran past `timeoutMs`. */
export class JobTimeoutSignal extends PgQueuerSignal {
  constructor(
    readonly jobId: number,
    readonly timeoutMs: number,
  ) {
    super(`job ${jobId} ran longer than its timeout of ${timeoutMs} ms`);
  }
}

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
