import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { PruneResult, RetentionPolicy } from '../../port/rows.js';

/** Key 1 of the schema's lock space: held by the one worker pruning at a time. */
const MAINTENANCE_LOCK = 1;
const BATCH = 10_000;

/**
 * Deletes one batch of log entries past the retention policy, only if no other worker is
 * pruning (a try-lock in the same statement: a busy lock means skip, never wait). Also drops
 * the registry rows of workers that stopped heartbeating an hour ago, and dedupe keys whose
 * window has passed.
 */
export function pruneQuery(n: SchemaNames) {
  const statement = prepared(
    'prune',
    `WITH lock AS (
       SELECT pg_try_advisory_xact_lock(${n.lockSpace}, ${MAINTENANCE_LOCK}) AS held
     ), cutoff AS (
       SELECT id FROM ${n.log} ORDER BY id DESC OFFSET $2 LIMIT 1
     ), doomed AS (
       -- The oldest entries by id are the oldest by finishing time, so one batch is looked at
       -- from the start of the log and never more: the cost is bounded however large it is.
       SELECT id FROM (
         SELECT id, finished_at FROM ${n.log} WHERE (SELECT held FROM lock) ORDER BY id LIMIT ${BATCH}
       ) AS oldest
       WHERE ($1::double precision IS NOT NULL AND finished_at < now() - make_interval(secs => $1 / 1000.0))
          OR ($2::bigint IS NOT NULL AND id <= (SELECT id FROM cutoff))
     ), deleted AS (
       DELETE FROM ${n.log} AS l WHERE l.id = ANY (ARRAY(SELECT id FROM doomed))
         -- A parent's entry stays while a child still waits to run: it holds the parent's
         -- outcome and result (ctx.parents). Only entries of jobs that had children are looked up.
         AND NOT EXISTS (
           SELECT 1 FROM ${n.dependencies} AS d JOIN ${n.jobs} AS c ON c.id = d.child_id WHERE d.parent_id = l.job_id
         )
       RETURNING l.id, l.job_id
     ), unlinked AS (
       -- Links of children whose history is gone: a finished child's last entry was pruned.
       DELETE FROM ${n.dependencies} AS d
       WHERE d.child_id = ANY (ARRAY(SELECT job_id FROM deleted))
         AND NOT EXISTS (SELECT 1 FROM ${n.jobs} AS c WHERE c.id = d.child_id)
         AND NOT EXISTS (SELECT 1 FROM ${n.log} AS l WHERE l.job_id = d.child_id AND NOT l.id = ANY (ARRAY(SELECT id FROM deleted)))
       RETURNING 1
     ), expired_keys AS (
       DELETE FROM ${n.dedupeReservations} WHERE (SELECT held FROM lock) AND expires_at < now() RETURNING 1
     ), dead_workers AS (
       DELETE FROM ${n.workers} WHERE (SELECT held FROM lock) AND heartbeat < now() - interval '1 hour' RETURNING 1
     )
     SELECT (SELECT held FROM lock) AS held,
            (SELECT count(*)::integer FROM deleted) AS deleted,
            (SELECT count(*)::integer FROM dead_workers) AS workers,
            (SELECT count(*)::integer FROM unlinked) AS links,
            (SELECT count(*)::integer FROM expired_keys) AS keys`,
  );
  return async (db: Queryable, policy: RetentionPolicy): Promise<PruneResult> => {
    const [row] = await db.query<{ held: boolean; deleted: number }>(statement, [policy.maxAgeMs, policy.maxRows]);
    return { held: row!.held, deleted: row!.deleted, more: row!.deleted === BATCH };
  };
}
