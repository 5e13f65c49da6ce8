import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { CanceledJob } from '../../port/rows.js';
import { notifyIdsInChunks } from './notify.js';

/**
 * Cancels jobs in one statement. Jobs not running (queued, scheduled, held) are removed and
 * logged `canceled` (completion watchers are told); running ones are flagged and their
 * workers told to abort `ctx.signal`. The flag also reaches a worker that missed the NOTIFY, through its heartbeat.
 */
export function cancelQuery(n: SchemaNames) {
  const statement = prepared(
    'cancel',
    `WITH removed AS (
       DELETE FROM ${n.jobs} WHERE id = ANY ($1::bigint[]) AND status IN ('queued', 'scheduled', 'held')
       RETURNING *
     ), reserved AS (
       -- A canceled job has finished: a key with a dedupe window stays taken.
       INSERT INTO ${n.dedupeReservations} (entrypoint, dedupe_key, job_id, expires_at)
       SELECT entrypoint, dedupe_key, id, now() + make_interval(secs => dedupe_window_ms / 1000.0)
       FROM removed WHERE dedupe_key IS NOT NULL AND dedupe_window_ms IS NOT NULL
       ON CONFLICT (entrypoint, dedupe_key) DO UPDATE SET job_id = EXCLUDED.job_id, expires_at = EXCLUDED.expires_at
     ), logged AS (
       INSERT INTO ${n.log} (job_id, entrypoint, priority, status, attempt, payload, headers, created_at, requeued_from)
       SELECT id, entrypoint, priority, 'canceled', attempts, payload, headers, created_at, requeued_from FROM removed
       RETURNING job_id, entrypoint
     ), flagged AS (
       UPDATE ${n.jobs} SET cancel_requested = true, updated_at = now()
       WHERE id = ANY ($1::bigint[]) AND status = 'picked'
       RETURNING id, entrypoint
     ), cancel_notices AS (
       ${notifyIdsInChunks(n.channel, 'cancel', 'flagged', 'id')}
     ), done_notices AS (
       ${notifyIdsInChunks(n.doneChannel, 'done', 'logged', 'job_id')}
     )
     -- A FROM-less SELECT evaluates every subquery, so the notices are always sent.
     SELECT (SELECT json_agg(json_build_object('id', id, 'entrypoint', entrypoint, 'running', true)) FROM flagged) AS flagged,
            (SELECT json_agg(json_build_object('id', job_id, 'entrypoint', entrypoint, 'running', false)) FROM logged) AS removed,
            (SELECT count(*) FROM cancel_notices) + (SELECT count(*) FROM done_notices) AS notices`,
  );
  return async (db: Queryable, ids: readonly number[]): Promise<CanceledJob[]> => {
    if (ids.length === 0) return [];
    const [row] = await db.query<{ flagged: CanceledJob[] | null; removed: CanceledJob[] | null }>(statement, [ids]);
    return [...(row?.flagged ?? []), ...(row?.removed ?? [])].sort((a, b) => a.id - b.id);
  };
}
