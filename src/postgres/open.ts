import pg from 'pg';
import type { PgQueuerOptions } from '../types.js';
import { defaultLogger } from '../logger.js';
import { connectionError, isConnectionFailure, listenConfig, poolConfig, preparedStatementsSetting, type ConnectionInput } from './connection.js';
import { assertInstalled, install } from './migrations/runner.js';
import { PgBackend } from './pg-backend.js';
import { PgDriver } from './pg-driver.js';
import { schemaNames } from './schema-names.js';

export type { ConnectionInput } from './connection.js';

/**
 * Opens the PostgreSQL backend: a pool of its own on `connection` (closed by the backend's
 * close()) or the caller's pool (left open), with the schema checked, or installed when
 * `options.install` says so. Rejects with a `ConnectionError` naming the server when it is
 * unreachable, and with `SchemaNotInstalledError` / `SchemaVersionError`.
 */
export async function openPostgres(connection: ConnectionInput | pg.Pool, options: PgQueuerOptions): Promise<PgBackend> {
  const names = schemaNames(options.schema); // a bad name fails before a connection is made
  const preparedStatements = preparedStatementsSetting(options.preparedStatements);
  const listen = listenConfig(options.listenConnection);
  const ownsPool = !(connection instanceof pg.Pool);
  const pool = connection instanceof pg.Pool ? connection : new pg.Pool(poolConfig(connection));
  const driver = new PgDriver(pool, { ownsPool, preparedStatements, listen, logger: options.logger ?? defaultLogger() });
  try {
    if (options.install) await install(driver, names);
    else await assertInstalled(driver, names);
    return new PgBackend(driver, names);
  } catch (err) {
    await driver.close().catch(() => {});
    throw isConnectionFailure(err) ? connectionError(err, pool.options) : err;
  }
}
