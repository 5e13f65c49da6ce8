import type { Queryable } from '../db/driver.js';
import type { SchemaNames } from '../db/schema-names.js';
import { prepared } from '../db/statement.js';
import type { JobStatus, QueueSizeRow } from '../job.js';

export function queueSizeQuery(n: SchemaNames) {
  const statement = prepared(
    'queue_size',
    `SELECT entrypoint, status, priority, count(*) AS count
     FROM ${n.jobs} GROUP BY entrypoint, status, priority ORDER BY entrypoint, status, priority DESC`,
  );
  return async (db: Queryable): Promise<QueueSizeRow[]> => {
    const rows = await db.query<{ entrypoint: string; status: JobStatus; priority: number; count: string }>(statement);
    return rows.map((r) => ({ ...r, count: Number(r.count) }));
  };
}

/** Milliseconds until the earliest deferred job is due; one index probe per entrypoint. */
export function nextDueQuery(n: SchemaNames) {
  const statement = prepared(
    'next_due',
    `SELECT greatest(0, ceil(extract(epoch FROM min(next.execute_after) - now()) * 1000))::double precision AS due_in_ms
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
