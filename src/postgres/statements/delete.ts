import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import { notifyIdsInChunks } from './notify.js';

/**
 * Removes jobs that are not running (queued, scheduled, held, blocked) without a log entry: deleted,
 * not finished. Completion watchers are told, so a wait on one of them ends (not found).
 */
export function deleteJobsQuery(n: SchemaNames) {
  const statement = prepared(
    'delete_jobs',
    `WITH removed AS (
       DELETE FROM ${n.jobs} WHERE id = ANY ($1::bigint[]) AND status IN ('queued', 'scheduled', 'held', 'blocked') RETURNING id
     ), done_notices AS (
       ${notifyIdsInChunks(n.doneChannel, 'done', 'removed', 'id')}
     )
     SELECT id, (SELECT count(*) FROM done_notices) AS notices FROM removed ORDER BY id`,
  );
  return async (db: Queryable, ids: readonly number[]): Promise<number[]> => {
    if (ids.length === 0) return [];
    return (await db.query<{ id: string }>(statement, [ids])).map((r) => Number(r.id));
  };
}

/** Deletes every queued and scheduled job of one entrypoint (null: all), without log entries. */
export function clearQuery(n: SchemaNames) {
  const statement = prepared(
    'clear',
    `WITH removed AS (
       DELETE FROM ${n.jobs} WHERE status IN ('queued', 'scheduled') AND ($1::text IS NULL OR entrypoint = $1) RETURNING id
     )
     SELECT count(*)::integer AS n FROM removed`,
  );
  return async (db: Queryable, entrypoint: string | null): Promise<number> => (await db.query<{ n: number }>(statement, [entrypoint]))[0]!.n;
}
