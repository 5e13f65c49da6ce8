import type { Driver, Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { unprepared } from '../statement.js';
import { SchemaVersionError, UninstallRefusedError } from '../../errors.js';
import type { UninstallReport } from '../../types.js';
import { LATEST_VERSION, TABLES } from './index.js';
import { installedVersion, MIGRATION_LOCK } from './runner.js';

/** What `uninstall` accepts besides the connection and schema. */
export interface UninstallChecks {
  /**
   * Also drop tables in the schema that are not pgqueuer's (and objects elsewhere that depend on
   * its tables) instead of refusing. A schema without pgqueuer's migrations table is refused anyway.
   */
  force?: boolean;
  /**
   * Called once the checks passed, before anything is dropped (the CLI asks the user here);
   * return false to drop nothing. `otherTables` is non-empty only with `force`.
   */
  confirm?: (plan: { schema: string; otherTables: readonly string[] }) => boolean | Promise<boolean>;
}

/** pgqueuer's functions, whatever their signature in the installed version. */
const FUNCTIONS = ['claim_jobs', 'notify_enqueued', 'cancel_jobs'];

/** PostgreSQL's dependent_objects_still_exist: a RESTRICT drop found something depending on it. */
const DEPENDENTS_EXIST = '2BP01';

/** A table, view or foreign table in the schema: what holds or shows data a drop would lose. */
interface Relation {
  name: string;
  kind: string;
}

const KIND_NAMES: Record<string, string> = { v: 'view', m: 'materialized view', f: 'foreign table' };

/**
 * Drops pgqueuer's schema with every job in it, but only a schema that is pgqueuer's and holds
 * nothing else: a mistyped `--schema-name app` must not take the application's tables with it.
 * Checks and drop run in one transaction under the migration lock, so no install interleaves.
 */
export async function uninstall(driver: Driver, names: SchemaNames, checks: UninstallChecks = {}): Promise<UninstallReport> {
  return driver.transaction(async (tx) => {
    await tx.query(unprepared(`SELECT pg_advisory_xact_lock(${names.lockSpace}, ${MIGRATION_LOCK})`));
    const report: UninstallReport = { schema: names.schema, dropped: false, existed: false, otherTables: [] };
    const [ns] = await tx.query<{ present: boolean }>(
      unprepared('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present'),
      [names.schema],
    );
    if (!ns?.present) return report;
    report.existed = true;

    const relations = await schemaRelations(tx, names);
    const ours = (await holdsMigrationsTable(tx, names))
      ? relations.filter((r) => r.kind === 'r' && TABLES.includes(r.name))
      : [];
    const others = relations.filter((r) => !ours.includes(r)).map((r) => (KIND_NAMES[r.kind] ? `${r.name} (${KIND_NAMES[r.kind]})` : r.name));
    // Not pgqueuer's at all: never dropped, force or not (DROP SCHEMA is there for that).
    if (ours.length === 0) throw new UninstallRefusedError(names.schema, 'not-pgqueuer', others);
    if (!checks.force) {
      // A newer pgqueuer's own tables would look like someone else's: let that version drop them.
      const version = await installedVersion(tx, names);
      if (version !== null && version > LATEST_VERSION) throw new SchemaVersionError(names.schema, version, LATEST_VERSION);
      if (others.length > 0) throw new UninstallRefusedError(names.schema, 'other-tables', others);
    }
    // Asked before any table is locked for the drop: workers keep running while a human reads.
    if (checks.confirm && !(await checks.confirm({ schema: names.schema, otherTables: others }))) return report;

    if (!checks.force) {
      // CASCADE would also drop a view or foreign key elsewhere that uses the tables; dropping
      // the tables RESTRICT first makes PostgreSQL refuse, naming them. pgqueuer's functions go
      // first: claim_jobs returns the jobs row type and the trigger calls notify_enqueued.
      for (const fn of await tx.query<{ signature: string }>(
        unprepared(`SELECT p.oid::regprocedure::text AS signature FROM pg_proc p
                     WHERE p.pronamespace = $1::regnamespace AND p.proname = ANY ($2)`),
        [names.ident, FUNCTIONS],
      )) {
        await tx.query(unprepared(`DROP FUNCTION ${fn.signature} CASCADE`));
      }
      try {
        await tx.query(unprepared(`DROP TABLE ${ours.map((r) => `${names.ident}."${r.name}"`).join(', ')} RESTRICT`));
      } catch (err) {
        if ((err as { code?: unknown }).code !== DEPENDENTS_EXIST) throw err;
        const detail = String((err as { detail?: unknown }).detail ?? '').split('\n').filter(Boolean).join('; ');
        throw new UninstallRefusedError(names.schema, 'dependents', [], detail || undefined);
      }
    }
    // What remains is pgqueuer's functions (and, under force, anything else in the schema).
    await tx.query(unprepared(`DROP SCHEMA ${names.ident} CASCADE`));
    report.dropped = true;
    report.otherTables = others;
    return report;
  });
}

async function schemaRelations(db: Queryable, names: SchemaNames): Promise<Relation[]> {
  return db.query<Relation>(
    unprepared(`
      SELECT c.relname AS name, c.relkind::text AS kind
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       ORDER BY c.relname`),
    [names.schema],
  );
}

/**
 * Whether the schema's `migrations` table is pgqueuer's, by its columns: other tools (TypeORM,
 * for one) name their table `migrations` too, and their schema is not ours to drop.
 */
async function holdsMigrationsTable(db: Queryable, names: SchemaNames): Promise<boolean> {
  const [row] = await db.query<{ ok: boolean }>(
    unprepared(`
      SELECT count(*) = 3 AS ok
        FROM pg_attribute
       WHERE attrelid = to_regclass($1) AND attname IN ('version', 'name', 'checksum') AND attnum > 0 AND NOT attisdropped`),
    [names.migrations],
  );
  return row?.ok === true;
}
