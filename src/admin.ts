import pg from 'pg';
import { connectionError, isConnectionFailure, poolConfig, type ConnectionInput } from './postgres/connection.js';
import type { Driver } from './postgres/driver.js';
import * as migrations from './postgres/migrations/runner.js';
import { uninstall as checkedUninstall, type UninstallChecks } from './postgres/migrations/uninstall.js';
import { PgOperator } from './postgres/ops/operator.js';
import { PgDriver } from './postgres/pg-driver.js';
import { applyGrants, grantStatements, type GrantRoles } from './postgres/grants.js';
import { schemaNames, type SchemaNames } from './postgres/schema-names.js';
import { silentLogger } from './logger.js';
import type { InstallReport, UninstallReport, VerifyReport } from './types.js';

export type { GrantRoles } from './postgres/grants.js';
export type { DashboardSnapshot, FailureList, FailureRow, FailureSearch, PgOperator, ThroughputRow, WorkerRow } from './postgres/ops/operator.js';

export interface AdminOptions {
  /** Schema holding pgqueuer's tables. Default "pgqueuer". */
  schema?: string;
  /**
   * Give up on a query after this long (client side). For long-running views: over a dead
   * network a query would otherwise wait for the OS's TCP timeout, freezing the view silently.
   */
  queryTimeoutMs?: number;
}

/**
 * Opens a short-lived driver on `connection` (or uses your pool), runs `fn`, closes what it
 * opened, and turns connection failures into one clear `ConnectionError`.
 */
async function withDriver<T>(
  connection: ConnectionInput | pg.Pool,
  options: AdminOptions,
  fn: (driver: Driver, names: SchemaNames) => Promise<T>,
): Promise<T> {
  const names = schemaNames(options.schema);
  const ownsPool = !(connection instanceof pg.Pool);
  const pool = connection instanceof pg.Pool
    ? connection
    : new pg.Pool({ ...poolConfig(connection), max: 2, ...(options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {}) });
  const driver = new PgDriver(pool, { ownsPool, preparedStatements: false, logger: silentLogger });
  try {
    return await fn(driver, names);
  } catch (err) {
    throw isConnectionFailure(err) ? connectionError(err, pool.options) : err;
  } finally {
    await driver.close().catch(() => {});
  }
}

/** Creates or upgrades pgqueuer's schema. Idempotent and safe to run from many processes at once. */
export function install(connection?: ConnectionInput | pg.Pool, options: AdminOptions = {}): Promise<InstallReport> {
  return withDriver(connection, options, (driver, names) => migrations.install(driver, names));
}

export interface UninstallOptions extends AdminOptions, UninstallChecks {}

/**
 * Drops pgqueuer's schema with every job, log row and schedule in it. Refuses, with an
 * `UninstallRefusedError` naming what it found, a schema that has no pgqueuer migrations table,
 * or that also holds other tables (unless `force`). A schema that does not exist is nothing to
 * uninstall: the report says `existed: false, dropped: false`.
 */
export function uninstall(connection?: ConnectionInput | pg.Pool, options: UninstallOptions = {}): Promise<UninstallReport> {
  const { force, confirm } = options;
  return withDriver(connection, options, (driver, names) => checkedUninstall(driver, names, { force, confirm }));
}

/** Reports whether the schema is installed, up to date and complete, naming each problem. */
export function verify(connection?: ConnectionInput | pg.Pool, options: AdminOptions = {}): Promise<VerifyReport> {
  return withDriver(connection, options, (driver, names) => migrations.verify(driver, names));
}

/**
 * Runs `fn` with the operator's reads and actions (the log's failures, retrying them, the
 * dashboard's snapshot) on an installed schema: fails with `SchemaNotInstalledError` /
 * `SchemaVersionError` first, and always closes the connections. For the CLI.
 */
export function withOperator<T>(connection: ConnectionInput, options: AdminOptions, fn: (operator: PgOperator) => Promise<T>): Promise<T> {
  return withDriver(connection, options, async (driver, names) => {
    await migrations.assertInstalled(driver, names);
    return fn(new PgOperator(driver, names));
  });
}

/** The statements `grant` runs, without running them (`pgq grant --print`). */
export function grantSql(roles: GrantRoles, options: Pick<AdminOptions, 'schema'> = {}): string[] {
  return grantStatements(schemaNames(options.schema), roles);
}

/**
 * Gives existing roles what a worker, a producer or a reader needs on an installed schema,
 * in one transaction; returns the statements run. Idempotent: run it again after an upgrade.
 */
export function grant(connection: ConnectionInput | pg.Pool | undefined, roles: GrantRoles, options: AdminOptions = {}): Promise<string[]> {
  const names = schemaNames(options.schema);
  grantStatements(names, roles); // bad roles fail before connecting
  return withDriver(connection, options, async (driver) => {
    await migrations.assertInstalled(driver, names);
    return applyGrants(driver, names, roles);
  });
}
