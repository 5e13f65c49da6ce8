import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { CanceledJob } from '../../port/rows.js';
import { notifyIdsInChunks } from './notify.js';

/** A busy row is asked for again this often, waiting a little longer each time (2 s in all). */
const BUSY_RETRIES = 20;
const BUSY_WAIT_MS = 10;

/**
 * The cancel statement, as the body of `cancel_jobs(bigint[])`: a SECURITY DEFINER function
 * (migration 4), so a producer role may cancel without the right to read the payloads it copies
 * into the log (see grants.ts).
 */
export function cancelJobsFunction(n: SchemaNames): string {
  return `CREATE OR REPLACE FUNCTION ${n.ident}.cancel_jobs(p_ids bigint[])
RETURNS TABLE (flagged json, removed json, notices bigint, busy bigint[])
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
WITH locked AS MATERIALIZED (
       SELECT id, status FROM ${n.jobs} WHERE id = ANY (p_ids) FOR UPDATE SKIP LOCKED
     ), removed AS (
       DELETE FROM ${n.jobs} WHERE id = ANY (ARRAY(SELECT id FROM locked WHERE status IN ('queued', 'scheduled', 'held', 'blocked')))
       RETURNING *
     ), reserved AS (
       -- A canceled job has finished: a key with a dedupe window stays taken.
       INSERT INTO ${n.dedupeReservations} (entrypoint, dedupe_key, job_id, expires_at)
       SELECT entrypoint, dedupe_key, id, now() + make_interval(secs => dedupe_window_ms / 1000.0)
       FROM removed WHERE dedupe_key IS NOT NULL AND dedupe_window_ms IS NOT NULL
       ON CONFLICT (entrypoint, dedupe_key) DO UPDATE SET job_id = EXCLUDED.job_id, expires_at = EXCLUDED.expires_at
     ), logged AS (
       INSERT INTO ${n.log} (job_id, entrypoint, priority, status, attempt, payload, headers, created_at, requeued_from, parents)
       SELECT id, entrypoint, priority, 'canceled', attempts, payload, headers, created_at, requeued_from, parents FROM removed
       RETURNING job_id, entrypoint
     ), flagged AS (
       UPDATE ${n.jobs} SET cancel_requested = true, updated_at = now()
       WHERE id = ANY (ARRAY(SELECT id FROM locked WHERE status = 'picked'))
       RETURNING id, entrypoint
     ), cancel_notices AS (
       ${notifyIdsInChunks(n.channel, 'cancel', 'flagged', 'id')}
     ), done_notices AS (
       ${notifyIdsInChunks(n.doneChannel, 'done', 'logged', 'job_id')}
     )
     -- A FROM-less SELECT evaluates every subquery, so the notices are always sent.
     SELECT (SELECT json_agg(json_build_object('id', id, 'entrypoint', entrypoint, 'running', true)) FROM flagged) AS flagged,
            (SELECT json_agg(json_build_object('id', job_id, 'entrypoint', entrypoint, 'running', false)) FROM logged) AS removed,
            (SELECT count(*) FROM cancel_notices) + (SELECT count(*) FROM done_notices) AS notices,
            -- Seen in the snapshot, but locked by someone else: ask again.
            ARRAY(SELECT id FROM ${n.jobs} WHERE id = ANY (p_ids) AND id NOT IN (SELECT id FROM locked)) AS busy
$fn$;
REVOKE EXECUTE ON FUNCTION ${n.ident}.cancel_jobs(bigint[]) FROM PUBLIC;`;
}

/**
 * Cancels jobs in one statement. Jobs not running (queued, scheduled, held, blocked) are removed and
 * logged `canceled` (completion watchers are told); running ones are flagged and their
 * workers told to abort `ctx.signal`. Removing a job that others wait for cancels them too
 * (release_children, migration 5). The flag also reaches a worker that missed the NOTIFY, through its heartbeat.
 *
 * Rows are taken with SKIP LOCKED, by their current status: a cancel never waits for a row lock
 * while holding others (that is how it would deadlock with a worker's outcome write, which
 * locks the rows of a batch in its own order). A row that is locked belongs to a job being
 * claimed, finished or retried at this moment; the statement reports it, and it is asked
 * again a moment later, when the job is queued again, running or gone.
 */
export function cancelQuery(n: SchemaNames) {
  const statement = prepared('cancel', `SELECT flagged, removed, busy FROM ${n.ident}.cancel_jobs($1::bigint[])`);
  return async (db: Queryable, ids: readonly number[]): Promise<CanceledJob[]> => {
    const found: CanceledJob[] = [];
    let pending: readonly (number | string)[] = ids;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const [row] = await db.query<{ flagged: CanceledJob[] | null; removed: CanceledJob[] | null; busy: string[] }>(statement, [pending]);
      found.push(...(row?.flagged ?? []), ...(row?.removed ?? []));
      pending = row?.busy ?? [];
      if (pending.length === 0 || attempt === BUSY_RETRIES) break;
      await new Promise((resolve) => setTimeout(resolve, BUSY_WAIT_MS * (attempt + 1)));
    }
    return found.sort((a, b) => a.id - b.id);
  };
}
