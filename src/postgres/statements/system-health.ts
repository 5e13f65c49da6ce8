import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';

export interface TableHealthRow {
  table: string;
  /** Table, indexes and TOAST, bytes. */
  totalBytes: number;
  liveRows: number;
  deadRows: number;
  lastAutovacuum: Date | null;
}

export interface OldestTransaction {
  pid: number;
  user: string | null;
  application: string | null;
  state: string | null;
  /** Seconds since its transaction began. */
  ageSeconds: number;
  /** Transactions since its snapshot's xmin: what vacuum cannot clean up behind it. */
  xminAge: number;
  query: string;
}

/** Size and bloat of the schema's tables, from the statistics views (no table is read). */
export function tableHealthQuery(n: SchemaNames) {
  const statement = prepared(
    'table_health',
    `SELECT relname AS table, pg_total_relation_size(relid) AS total_bytes, n_live_tup AS live_rows,
            n_dead_tup AS dead_rows, last_autovacuum
     FROM pg_stat_user_tables WHERE schemaname = $1 ORDER BY pg_total_relation_size(relid) DESC`,
  );
  return async (db: Queryable): Promise<TableHealthRow[]> => {
    const rows = await db.query<{ table: string; total_bytes: string; live_rows: string; dead_rows: string; last_autovacuum: Date | null }>(
      statement,
      [n.schema],
    );
    return rows.map((r) => ({
      table: r.table, totalBytes: Number(r.total_bytes), liveRows: Number(r.live_rows), deadRows: Number(r.dead_rows), lastAutovacuum: r.last_autovacuum,
    }));
  };
}

/**
 * The session whose snapshot is oldest in this database: while it stays open, vacuum cannot
 * remove rows that died after it began, and the queue's tables bloat. Null when none holds one.
 */
export function oldestTransactionQuery(_n: SchemaNames) {
  const statement = prepared(
    'oldest_transaction',
    `SELECT pid, usename, application_name, state,
            greatest(0, extract(epoch FROM clock_timestamp() - xact_start))::double precision AS age,
            age(backend_xmin)::integer AS xmin_age, left(query, 300) AS query
     FROM pg_stat_activity
     WHERE datname = current_database() AND backend_xmin IS NOT NULL AND pid <> pg_backend_pid()
     ORDER BY age(backend_xmin) DESC LIMIT 1`,
  );
  return async (db: Queryable): Promise<OldestTransaction | null> => {
    const [r] = await db.query<{
      pid: number; usename: string | null; application_name: string | null; state: string | null; age: number | null; xmin_age: number; query: string;
    }>(statement);
    return r
      ? { pid: r.pid, user: r.usename, application: r.application_name, state: r.state, ageSeconds: r.age ?? 0, xminAge: r.xmin_age, query: r.query }
      : null;
  };
}

/** The server's version string, for the System page. */
export function serverVersionQuery(_n: SchemaNames) {
  const statement = prepared('server_version', `SELECT current_setting('server_version') AS v`);
  return async (db: Queryable): Promise<string> => (await db.query<{ v: string }>(statement))[0]!.v;
}
