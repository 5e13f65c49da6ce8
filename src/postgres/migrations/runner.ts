import { createHash } from 'node:crypto';
import type { Driver, Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { unprepared } from '../statement.js';
import { SchemaNotInstalledError, SchemaVersionError } from '../../errors.js';
import type { InstallReport, VerifyReport } from '../../types.js';
import { LATEST_VERSION, MIGRATIONS, TABLES } from './index.js';
import type { Migration } from './migration.js';
import { schemaObjects } from './objects.js';

/** Key 0 of the schema's lock space is reserved for migrations (and uninstall). */
export const MIGRATION_LOCK = 0;

function checksum(migration: Migration, names: SchemaNames): string {
  return createHash('sha256').update(migration.sql(names)).digest('hex');
}

/**
 * Applies every pending migration in one transaction, under an advisory lock, so concurrent
 * installs (ten workers starting at once) queue up and all but the first find nothing to do.
 * Idempotent: `install` and `upgrade` are the same operation.
 */
export async function install(driver: Driver, names: SchemaNames): Promise<InstallReport> {
  return driver.transaction(async (tx) => {
    await tx.query(unprepared(`SELECT pg_advisory_xact_lock(${names.lockSpace}, ${MIGRATION_LOCK})`));
    await tx.query(
      unprepared(`
        CREATE SCHEMA IF NOT EXISTS ${names.ident};
        CREATE TABLE IF NOT EXISTS ${names.migrations} (
          version    integer     PRIMARY KEY,
          name       text        NOT NULL,
          checksum   text        NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        );`),
    );
    const done = new Set(
      (await tx.query<{ version: number }>(unprepared(`SELECT version FROM ${names.migrations}`))).map((r) => r.version),
    );
    const newest = Math.max(0, ...done);
    if (newest > LATEST_VERSION) throw new SchemaVersionError(names.schema, newest, LATEST_VERSION);
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await tx.query(unprepared(migration.sql(names)));
      await tx.query(
        unprepared(
          `INSERT INTO ${names.migrations} (version, name, checksum) VALUES (${migration.version}, '${migration.name}', '${checksum(migration, names)}')`,
        ),
      );
      applied.push(migration.version);
    }
    // What verify would report missing (a dropped index, a disabled trigger) is made again.
    const repaired: string[] = [];
    for (const object of schemaObjects(names)) {
      const [row] = await tx.query<{ ok: boolean }>(unprepared(object.present));
      if (row?.ok) continue;
      await tx.query(unprepared(object.create));
      repaired.push(`${object.kind} ${names.schema}.${object.name}`);
    }
    return { schema: names.schema, applied, repaired, version: LATEST_VERSION };
  });
}

/** The highest applied migration, or null when pgqueuer is not installed in this schema. */
export async function installedVersion(db: Queryable, names: SchemaNames): Promise<number | null> {
  const [row] = await db.query<{ present: boolean }>(
    unprepared(`SELECT to_regclass('${names.migrations}') IS NOT NULL AS present`),
  );
  if (!row?.present) return null;
  const [max] = await db.query<{ version: number | null }>(unprepared(`SELECT max(version) AS version FROM ${names.migrations}`));
  return max?.version ?? null;
}

/** Throws a clear error unless the schema is installed at exactly the version this code needs. */
export async function assertInstalled(db: Queryable, names: SchemaNames): Promise<void> {
  const version = await installedVersion(db, names);
  if (version === null) throw new SchemaNotInstalledError(names.schema);
  if (version !== LATEST_VERSION) throw new SchemaVersionError(names.schema, version, LATEST_VERSION);
}

export async function verify(db: Queryable, names: SchemaNames): Promise<VerifyReport> {
  const report: VerifyReport = {
    schema: names.schema,
    ok: false,
    installedVersion: null,
    latestVersion: LATEST_VERSION,
    problems: [],
  };
  const [ns] = await db.query<{ present: boolean }>(
    unprepared(`SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '${names.schema}') AS present`),
  );
  if (!ns?.present) {
    report.problems.push(`schema "${names.schema}" does not exist: run \`pgq install\``);
    return report;
  }
  report.installedVersion = await installedVersion(db, names);
  if (report.installedVersion === null) {
    report.problems.push(`table ${names.migrations} is missing: run \`pgq install\``);
    return report;
  }
  const applied = await db.query<{ version: number; name: string; checksum: string }>(
    unprepared(`SELECT version, name, checksum FROM ${names.migrations} ORDER BY version`),
  );
  const appliedByVersion = new Map(applied.map((r) => [r.version, r]));
  for (const migration of MIGRATIONS) {
    const row = appliedByVersion.get(migration.version);
    if (!row) report.problems.push(`migration ${migration.version} (${migration.name}) is not applied: run \`pgq upgrade\``);
    else if (row.checksum !== checksum(migration, names))
      report.problems.push(`migration ${migration.version} (${migration.name}) was applied from different SQL than this version ships`);
  }
  for (const row of applied) {
    if (row.version > LATEST_VERSION)
      report.problems.push(`migration ${row.version} (${row.name}) is newer than this pgqueuer knows: upgrade the package`);
  }
  for (const table of TABLES) {
    const [row] = await db.query<{ ok: boolean }>(unprepared(`SELECT to_regclass('${names.ident}.${table}') IS NOT NULL AS ok`));
    if (!row?.ok) report.problems.push(`table ${names.schema}.${table} is missing`);
  }
  for (const object of schemaObjects(names)) {
    const [row] = await db.query<{ ok: boolean }>(unprepared(object.present));
    if (!row?.ok) report.problems.push(`${object.kind} ${names.schema}.${object.name} is missing${object.kind === 'trigger' ? ' or disabled' : ''}: run \`pgq upgrade\``);
  }
  report.ok = report.problems.length === 0;
  return report;
}
