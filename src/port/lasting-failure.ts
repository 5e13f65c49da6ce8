import { PreparedStatementsUnsupportedError, PrivilegeError, SchemaNotInstalledError, SchemaVersionError } from '../errors.js';

/**
 * Whether a backend call failed for a reason that repeating it cannot heal until someone
 * changes the database (a grant, an install). A lost connection, a statement timeout, a
 * server too busy to take a connection or a serialization failure are worth retrying; these
 * are not (a pooler that loses prepared statements needs a setting changed), so whoever
 * retries reports them instead.
 */
export function isLastingFailure(err: unknown): boolean {
  return err instanceof PrivilegeError || err instanceof PreparedStatementsUnsupportedError || err instanceof SchemaNotInstalledError || err instanceof SchemaVersionError;
}
