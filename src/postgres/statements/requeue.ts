import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';

export interface Requeued {
  /** The failed or canceled job. */
  id: number;
  /** The job enqueued in its place. */
  newId: number;
}

/**
 * Enqueues failed or canceled jobs again, from their last log entry (the log keeps payload and
 * headers of every job that did not succeed): one new job per id, with the same entrypoint,
 * payload, headers and priority, in one statement.
 *
 * - New ids are drawn before inserting, so each pairs with its original explicitly rather than
 *   by relying on insertion order.
 * - The log entry stays, so requeuing the same id twice enqueues two jobs; that is allowed on
 *   purpose (e.g. to run a failed job again after a second fix).
 * - A dedupe key is not kept in the log, so the new job has none.
 * - The insert fires the jobs trigger, so workers are woken as for any enqueue.
 */
export function requeueQuery(n: SchemaNames) {
  const statement = prepared(
    'requeue',
    `WITH last_entry AS (
       SELECT DISTINCT ON (job_id) job_id, entrypoint, priority, payload, headers
       FROM ${n.log}
       WHERE job_id = ANY ($1::bigint[]) AND status IN ('exception', 'canceled')
       ORDER BY job_id, id DESC
     ), numbered AS MATERIALIZED (
       SELECT e.*, nextval(pg_get_serial_sequence('${n.jobs}', 'id')) AS new_id
       FROM last_entry AS e
       -- Defensive: a job that is live again under its own id has not failed (any more).
       WHERE NOT EXISTS (SELECT 1 FROM ${n.jobs} AS j WHERE j.id = e.job_id)
       ORDER BY e.job_id
     ), inserted AS (
       INSERT INTO ${n.jobs} (id, entrypoint, priority, payload, headers)
       SELECT new_id, entrypoint, priority, payload, coalesce(headers, '{}'::jsonb) FROM numbered
       RETURNING id
     )
     SELECT numbered.job_id, numbered.new_id FROM numbered JOIN inserted ON inserted.id = numbered.new_id
     ORDER BY numbered.job_id`,
  );
  return async (db: Queryable, ids: readonly number[]): Promise<Requeued[]> => {
    if (ids.length === 0) return [];
    const rows = await db.query<{ job_id: string; new_id: string }>(statement, [ids]);
    return rows.map((r) => ({ id: Number(r.job_id), newId: Number(r.new_id) }));
  };
}
