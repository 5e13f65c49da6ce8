import { withDriver } from '../admin.js';
import { poolConfig } from '../postgres/connection.js';
import type { Driver } from '../postgres/driver.js';
import { assertInstalled } from '../postgres/migrations/runner.js';
import type { SchemaNames } from '../postgres/schema-names.js';
import { connectionOf, schemaOf, type GlobalOptions } from './context.js';

export interface DatabaseTuning {
  /**
   * Give up on a query after this long (client side). For long-running views: over a dead
   * network a query would otherwise wait for the OS's TCP timeout, freezing the view silently.
   */
  queryTimeoutMs?: number;
}

/**
 * Opens the database for a command that reads pgqueuer's tables directly (the log, workers),
 * which the queue API does not expose; fails with the usual one-line error when the schema is
 * missing or outdated, and always closes the connections.
 */
export function withDatabase<T>(
  options: GlobalOptions,
  fn: (driver: Driver, names: SchemaNames) => Promise<T>,
  tuning: DatabaseTuning = {},
): Promise<T> {
  const connection = connectionOf(options);
  // withDriver opens (and closes) a small pool of its own from this configuration.
  const config = tuning.queryTimeoutMs ? { ...poolConfig(connection), query_timeout: tuning.queryTimeoutMs } : connection;
  return withDriver(config, { schema: schemaOf(options) }, async (driver, names) => {
    await assertInstalled(driver, names);
    return fn(driver, names);
  });
}
