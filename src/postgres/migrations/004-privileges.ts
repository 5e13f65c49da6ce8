import type { SchemaNames } from '../schema-names.js';
import type { Migration } from './migration.js';
import { notifyIdsInChunks } from '../statements/notify.js';

/**
 * Least privilege: cancel becomes `cancel_jobs(bigint[])`, a SECURITY DEFINER function owned
 * by the installer, so a producer role can cancel without reading the payloads a cancel
 * copies into the log. Only roles granted EXECUTE (`pgq grant`) may call it.
 */
export const privileges: Migration = {
  version: 4,
  name: 'privileges',
  sql: (n: SchemaNames) => `
${cancelJobsAsOfMigration4(n)}
`,
};

/** cancel_jobs as migration 4 made it (migration 5 redefines it; this text is pinned by its checksum). */
function cancelJobsAsOfMigration4(n: SchemaNames): string {
  return `CREATE OR REPLACE FUNCTION ${n.ident}.cancel_jobs(p_ids bigint[])
RETURNS TABLE (flagged json, removed json, notices bigint, busy bigint[])
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
WITH locked AS MATERIALIZED (
       SELECT id, status FROM ${n.jobs} WHERE id = ANY (p_ids) FOR UPDATE SKIP LOCKED
     ), removed AS (
       DELETE FROM ${n.jobs} WHERE id = ANY (ARRAY(SELECT id FROM locked WHERE status IN ('queued', 'scheduled', 'held')))
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
