import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { JobHeaders, JobStatus, QueueSizeRow } from '../../types.js';
import type { LiveJob } from '../../port/rows.js';

export function queueSizeQuery(n: SchemaNames) {
  const statement = prepared(
    'queue_size',
    `SELECT j.entrypoint, j.status, j.priority, count(*) AS count, (p.entrypoint IS NOT NULL) AS paused
     FROM ${n.jobs} AS j LEFT JOIN ${n.paused} AS p ON p.entrypoint = j.entrypoint
     GROUP BY j.entrypoint, j.status, j.priority, p.entrypoint ORDER BY j.entrypoint, j.status, j.priority DESC`,
  );
  return async (db: Queryable): Promise<QueueSizeRow[]> => {
    const rows = await db.query<{ entrypoint: string; status: JobStatus; priority: number; count: string; paused: boolean }>(statement);
    return rows.map((r) => ({ ...r, count: Number(r.count) }));
  };
}

/** Milliseconds until the earliest deferred job is due; one index probe per entrypoint. */
export function nextDueQuery(n: SchemaNames) {
  const statement = prepared(
    'next_due',
    // No scheduled job must read as NULL: greatest() ignores NULLs and would say "due now".
    `SELECT CASE WHEN min(next.execute_after) IS NULL THEN NULL
                 ELSE greatest(0, ceil(extract(epoch FROM min(next.execute_after) - now()) * 1000)) END::double precision AS due_in_ms
     FROM unnest($1::text[]) AS e(name)
     CROSS JOIN LATERAL (
       SELECT execute_after FROM ${n.jobs}
       WHERE status = 'scheduled' AND entrypoint = e.name
       ORDER BY execute_after LIMIT 1
     ) AS next`,
  );
  return async (db: Queryable, entrypoints: readonly string[]): Promise<number | null> => {
    const [row] = await db.query<{ due_in_ms: number | null }>(statement, [entrypoints]);
    return row?.due_in_ms ?? null;
  };
}

export function listLiveJobsQuery(n: SchemaNames) {
  const statement = prepared(
    'list_jobs',
    `SELECT id, entrypoint, status, priority, payload, headers, execute_after, dedupe_key, attempts, created_at
     FROM ${n.jobs} WHERE entrypoint = $1 ORDER BY id LIMIT $2`,
  );
  return async (db: Queryable, entrypoint: string, limit: number): Promise<LiveJob[]> => {
    const rows = await db.query<{
      id: string; entrypoint: string; status: JobStatus; priority: number; payload: unknown; headers: JobHeaders;
      execute_after: Date; dedupe_key: string | null; attempts: number; created_at: Date;
    }>(statement, [entrypoint, limit]);
    return rows.map((r) => ({
      id: Number(r.id), entrypoint: r.entrypoint, status: r.status, priority: r.priority, payload: r.payload,
      headers: r.headers, executeAfter: r.execute_after, dedupeKey: r.dedupe_key, attempts: r.attempts, createdAt: r.created_at,
    }));
  };
}

export function pendingCountQuery(n: SchemaNames) {
  const statement = prepared(
    'pending_count',
    `SELECT count(*)::integer AS n FROM ${n.jobs}
     WHERE entrypoint = ANY ($1::text[])
       AND (status = 'picked'
            OR ((status = 'queued' OR (status = 'scheduled' AND execute_after <= now()))
                AND NOT EXISTS (SELECT 1 FROM ${n.paused} AS p WHERE p.entrypoint = ${n.jobs}.entrypoint)))`,
  );
  return async (db: Queryable, entrypoints: readonly string[]): Promise<number> =>
    (await db.query<{ n: number }>(statement, [entrypoints]))[0]!.n;
}
