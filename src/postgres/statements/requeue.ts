import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import { notifyEnqueued } from './notify.js';

/**
 * Makes jobs run again, in one statement. A held job goes back to `queued` under its own id,
 * its attempts, rescues and snoozes reset and its error cleared (its history stays in the
 * log). A finished job that failed or was canceled (its newest final log entry, which keeps
 * payload and headers) is enqueued again as a new job with the same entrypoint, payload,
 * headers and priority, recording where it came from; new ids are drawn before inserting, so
 * each pairs with its original explicitly. Requeuing the same finished job twice enqueues it
 * twice, on purpose. The dedupe key is not kept. Returns, in input order, the id each input
 * now runs under; ids that are neither held nor finished failures are left out.
 */
export function requeueQuery(n: SchemaNames) {
  const byIds = prepared(
    'requeue',
    `WITH wanted AS (
       SELECT * FROM unnest($1::bigint[]) WITH ORDINALITY AS w(id, n)
     ), held AS (
       UPDATE ${n.jobs}
       SET status = 'queued', attempts = 0, rescues = 0, snoozes = 0, error = NULL, execute_after = now(),
           cancel_requested = false, updated_at = now()
       WHERE id = ANY ($1::bigint[]) AND status = 'held'
       RETURNING id, entrypoint
     ), last_final AS (
       SELECT DISTINCT ON (job_id) job_id, entrypoint, priority, payload, headers, status
       FROM ${n.log}
       WHERE job_id = ANY ($1::bigint[]) AND status IN ('successful', 'exception', 'canceled')
       ORDER BY job_id, id DESC
     ), again AS MATERIALIZED (
       SELECT f.*, nextval(pg_get_serial_sequence('${n.jobs}', 'id')) AS new_id
       FROM last_final AS f
       WHERE f.status IN ('exception', 'canceled') AND NOT EXISTS (SELECT 1 FROM ${n.jobs} AS j WHERE j.id = f.job_id)
       ORDER BY f.job_id
     ), inserted AS (
       INSERT INTO ${n.jobs} (id, entrypoint, priority, payload, headers, requeued_from)
       SELECT new_id, entrypoint, priority, payload, coalesce(headers, '{}'::jsonb), job_id FROM again
       RETURNING id
     ), wake AS (
       -- Inserted jobs wake workers through the insert trigger; requeued held ones do not.
       ${notifyEnqueued(n.channel, 'held')}
     )
     SELECT coalesce(h.id, a.new_id) AS id, (SELECT count(*) FROM wake) AS notices, (SELECT count(*) FROM inserted) AS inserted
     FROM wanted AS w
     LEFT JOIN held AS h ON h.id = w.id
     LEFT JOIN again AS a ON a.job_id = w.id
     WHERE h.id IS NOT NULL OR a.new_id IS NOT NULL
     ORDER BY w.n`,
  );
  const allHeld = prepared(
    'requeue_held',
    `WITH held AS (
       UPDATE ${n.jobs}
       SET status = 'queued', attempts = 0, rescues = 0, snoozes = 0, error = NULL, execute_after = now(),
           cancel_requested = false, updated_at = now()
       WHERE status = 'held' AND ($1::text IS NULL OR entrypoint = $1)
       RETURNING id, entrypoint
     ), wake AS (
       ${notifyEnqueued(n.channel, 'held')}
     )
     SELECT id, (SELECT count(*) FROM wake) AS notices FROM held ORDER BY id`,
  );
  return async (db: Queryable, target: readonly number[] | { entrypoint: string | null }): Promise<number[]> => {
    if (Array.isArray(target)) {
      if (target.length === 0) return [];
      return (await db.query<{ id: string }>(byIds, [target])).map((r) => Number(r.id));
    }
    return (await db.query<{ id: string }>(allHeld, [(target as { entrypoint: string | null }).entrypoint])).map((r) => Number(r.id));
  };
}
