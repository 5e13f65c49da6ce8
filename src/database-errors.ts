/**
 * What the database did to a call: unreachable, read-only, too slow, a missing privilege, a
 * schema not installed or of another version, a pooler that drops prepared statements. Built
 * from driver errors in src/postgres/ (their codes never leave it); the grant a PrivilegeError
 * names is advice for an administrator, not a statement pgqueuer runs.
 */
import { PgQueuerError } from './pgqueuer-error.js';

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
  /** The privileges to grant, as the server names them; empty when they could not be told. */
  privileges: readonly string[];
  /** The role pgqueuer connected as, when known. */
  role?: string;
  /** What an administrator can run to fix it (granting the missing privilege on the table to the role), when the privileges could be told. */
  grant?: string;
}

/**
 * The database role lacks a privilege a call needs (PostgreSQL's "permission denied"). The
 * message names the role, the object and the grant that fixes it; nothing was written.
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
