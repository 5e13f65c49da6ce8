import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { HeldJob, RescuePolicy } from '../../port/rows.js';
import { SYSTEM_ERRORS } from '../../port/system-records.js';
import { notifyEnqueued } from './notify.js';

const HEARTBEAT_TIMEOUT = JSON.stringify(SYSTEM_ERRORS.heartbeatTimeout);

/**
 * One statement per interval for all of a worker's running jobs. The rows it returns double
 * as the fallback for lost notifications: a job missing from them was taken over by another
 * worker, and `cancel_requested` reveals a cancellation whose NOTIFY never arrived.
 *
 * It never waits for a row lock: a job whose row is locked is being finished (its outcome
 * written, on another connection of this worker) or canceled right now, and waiting for it
 * while holding the locks of the others is how two statements deadlock. Such a job keeps its
 * heartbeat until the next beat, far inside the rescue window; the answer still lists it,
 * read from the statement's snapshot without a lock.
 */
export function heartbeatQuery(n: SchemaNames) {
  const statement = prepared(
    'heartbeat',
    `WITH worker AS (
       UPDATE ${n.workers} SET heartbeat = now() WHERE id = $1
     ), beat AS (
       UPDATE ${n.jobs} SET heartbeat = now()
       WHERE id = ANY (ARRAY(
         SELECT id FROM ${n.jobs} WHERE id = ANY ($2::bigint[]) AND worker_id = $1 AND status = 'picked' FOR UPDATE SKIP LOCKED
       ))
     )
     SELECT id, cancel_requested FROM ${n.jobs} WHERE id = ANY ($2::bigint[]) AND worker_id = $1 AND status = 'picked'`,
  );
  return async (db: Queryable, workerId: string, ids: readonly number[]): Promise<HeldJob[]> => {
    const rows = await db.query<{ id: string; cancel_requested: boolean }>(statement, [workerId, ids]);
    return rows.map((r) => ({ id: Number(r.id), cancelRequested: r.cancel_requested }));
  };
}

/**
 * Puts picked jobs whose heartbeat stopped (their worker crashed or hangs) back in the queue,
 * logging the lost attempt as `rescued`. SKIP LOCKED lets every worker run it without waiting
 * on each other.
 */
export function rescueQuery(n: SchemaNames) {
  const statement = prepared(
    'rescue',
    `WITH policy AS (
       SELECT * FROM unnest($1::text[], $2::double precision[]) AS p(entrypoint, after_ms)
     ), stale AS (
       SELECT j.id, j.worker_id AS lost_worker FROM ${n.jobs} AS j JOIN policy AS p ON p.entrypoint = j.entrypoint
       WHERE j.status = 'picked' AND j.heartbeat < now() - make_interval(secs => p.after_ms / 1000.0)
       FOR UPDATE OF j SKIP LOCKED
     ), rescued AS (
       -- An id array plans as primary-key lookups, whatever the row estimate of "stale".
       UPDATE ${n.jobs} AS j SET status = 'queued', worker_id = NULL, heartbeat = NULL, rescues = j.rescues + 1,
                                 execute_after = now(), updated_at = now()
       FROM stale
       WHERE j.id = ANY (ARRAY(SELECT id FROM stale)) AND j.id = stale.id
       RETURNING j.id, j.entrypoint, j.priority, j.attempts, j.created_at, j.picked_at, stale.lost_worker
     ), logged AS (
       INSERT INTO ${n.log} (job_id, entrypoint, priority, status, attempt, worker_id, error, created_at, picked_at)
       SELECT id, entrypoint, priority, 'rescued', attempts, lost_worker, $3::jsonb, created_at, picked_at
       FROM rescued
     ), wake AS (
       ${notifyEnqueued(n.channel, 'rescued')}
     )
     SELECT entrypoint, count(*)::integer AS rescued, (SELECT count(*) FROM wake) AS notices FROM rescued GROUP BY entrypoint`,
  );
  /** Returns how many jobs were rescued, per entrypoint. */
  return async (db: Queryable, policies: readonly RescuePolicy[]): Promise<Map<string, number>> => {
    if (policies.length === 0) return new Map();
    const rows = await db.query<{ entrypoint: string; rescued: number }>(statement, [
      policies.map((p) => p.entrypoint),
      policies.map((p) => p.rescueAfterMs),
      HEARTBEAT_TIMEOUT,
    ]);
    return new Map(rows.map((r) => [r.entrypoint, r.rescued]));
  };
}
