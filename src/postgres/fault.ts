import { ConnectionError, PgQueuerError, PreparedStatementsUnsupportedError, ReadOnlyError, SchemaNotInstalledError, StatementTimeoutError } from '../errors.js';
import { failureReason, isConnectionFailure } from './connection.js';
import type { Queryable, Statement } from './driver.js';
import { INSUFFICIENT_PRIVILEGE, privilegeError } from './privilege-error.js';

/**
 * The driver's errors that say something about the database rather than the data, turned into
 * pgqueuer's typed errors here, so no PostgreSQL error code leaves this folder: a lost or
 * refused connection, a read-only server, a statement timeout, a missing privilege, a missing
 * schema, a pooler that loses prepared statements. Everything else (a constraint, bad data) passes through as the driver threw it, for
 * the statements that handle it themselves.
 */

/**
 * How far a statement got, which decides whether a lost connection may have committed it:
 * - `connecting`: nothing was sent;
 * - `statement`: sent on its own (autocommit), or a COMMIT: its outcome is unknown when lost;
 * - `transaction`: sent inside a transaction still open: a lost connection rolls it back;
 * - `caller`: on the caller's client, which may or may not be in a transaction.
 */
export type FaultStage = 'connecting' | 'statement' | 'transaction' | 'caller';

export interface FaultSite {
  stage: FaultStage;
  /** Where the connection points (no password), for messages. */
  target: string;
  statement?: Statement;
  /** The role the connection logs in as, when known. */
  role?: string;
  /** A session still usable after the error, to ask what a denied role lacks. */
  session?: Queryable;
  /** The statement was sent as a named prepared statement. */
  prepared?: boolean;
}

const READ_ONLY_TRANSACTION = '25006';
const QUERY_CANCELED = '57014';
const UNDEFINED_TABLE = '42P01';
const INVALID_SCHEMA_NAME = '3F000';
const DUPLICATE_PREPARED_STATEMENT = '42P05';
const INVALID_SQL_STATEMENT_NAME = '26000'; // "prepared statement … does not exist"

export async function typedFault(err: unknown, site: FaultSite): Promise<unknown> {
  if (!(err instanceof Error) || err instanceof PgQueuerError) return err;
  const code = (err as { code?: unknown }).code;
  const purpose = purposeOf(site.statement);
  if (isConnectionFailure(err)) return lostConnection(err, site, purpose);
  switch (code) {
    case DUPLICATE_PREPARED_STATEMENT:
    case INVALID_SQL_STATEMENT_NAME:
      // The driver prepares each statement once per connection and remembers it, so either
      // answer means the server session changed under the connection: a transaction pooler.
      return site.prepared ? new PreparedStatementsUnsupportedError(err.message, purpose, { cause: err }) : err;
    case READ_ONLY_TRANSACTION:
      return new ReadOnlyError(err.message, purpose, { cause: err });
    case QUERY_CANCELED:
      // The same code reports pg_cancel_backend ("due to user request"): not a timeout.
      return /statement timeout/i.test(err.message) ? new StatementTimeoutError(err.message, purpose, { cause: err }) : err;
    case INSUFFICIENT_PRIVILEGE: {
      const context: Parameters<typeof privilegeError>[1] = { connecting: site.stage === 'connecting' };
      if (site.statement) context.statement = site.statement;
      if (site.role !== undefined) context.role = site.role;
      if (site.session) context.session = site.session;
      return privilegeError(err, context);
    }
    case INVALID_SCHEMA_NAME:
    case UNDEFINED_TABLE: {
      // pgqueuer qualifies every table, so a missing one names its schema: not installed (or dropped).
      const schema = /^schema "([^"]+)" does not exist/.exec(err.message)?.[1] ?? /^relation "([^".]+)\.[^"]+" does not exist/.exec(err.message)?.[1];
      return schema ? new SchemaNotInstalledError(schema, { cause: err }) : err;
    }
    default:
      return err;
  }
}

function lostConnection(err: Error, site: FaultSite, purpose: string | undefined): ConnectionError {
  const reason = failureReason(err);
  // pg refuses a query on a client already known broken without sending it.
  if (site.stage === 'connecting' || /not queryable/i.test(err.message)) {
    return new ConnectionError(`cannot connect to PostgreSQL at ${site.target}: ${reason}`, site.target, { cause: err });
  }
  const during = `lost the connection to PostgreSQL at ${site.target} during ${purpose ? `pgqueuer's "${purpose}" statement` : 'a statement'}: ${reason}`;
  const outcome = {
    statement: 'the statement was sent and may have committed: check before repeating it',
    caller: 'the statement was sent: it committed only if that client was not in a transaction',
    transaction: 'its transaction was rolled back',
  }[site.stage];
  return new ConnectionError(`${during}; ${outcome}`, site.target, { cause: err, mayHaveCommitted: site.stage !== 'transaction' });
}

/** A prepared statement's label ("enqueue_one"), which says what it is for. */
function purposeOf(statement: Statement | undefined): string | undefined {
  return statement ? /^pgq_(.+)_[0-9a-f]{12}$/.exec(statement.name)?.[1] : undefined;
}
