import { withDriver } from '../admin.js';
import type { Driver } from '../db/driver.js';
import { assertInstalled } from '../db/migrations/runner.js';
import type { SchemaNames } from '../db/schema-names.js';
import { connectionOf, schemaOf, type GlobalOptions } from './context.js';

/**
 * Opens the database for a command that reads pgqueuer's tables directly (the log, workers),
 * which the queue API does not expose; fails with the usual one-line error when the schema is
 * missing or outdated, and always closes the connections.
 */
export function withDatabase<T>(options: GlobalOptions, fn: (driver: Driver, names: SchemaNames) => Promise<T>): Promise<T> {
  return withDriver(connectionOf(options), { schema: schemaOf(options) }, async (driver, names) => {
    await assertInstalled(driver, names);
    return fn(driver, names);
  });
}
