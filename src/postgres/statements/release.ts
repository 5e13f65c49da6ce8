import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { ReleasedJob } from '../../port/rows.js';
import { SYSTEM_ERRORS } from '../../port/system-records.js';
import { notifyEnqueued } from './notify.js';

const SHUTDOWN_TIMEOUT = JSON.stringify(SYSTEM_ERRORS.shutdownTimeout);

/**
 * Gives a stopping worker's jobs back to the queue. A job whose handler never started keeps
 * its attempt; one abandoned mid-run has used it (it may have had side effects) and the lost
 * attempt is logged.
 */
export function releaseQuery(n: SchemaNames) {
  const statement = prepared(
    'release',
    `WITH input AS (
       SELECT * FROM unnest($2::bigint[], $3::boolean[]) AS r(id, started)
     ), released AS (
       UPDATE ${n.jobs} AS j
       SET status = 'queued', worker_id = NULL, heartbeat = NULL, updated_at = now(),
           attempts = j.attempts - CASE WHEN r.started THEN 0 ELSE 1 END,
           rescues = j.rescues + CASE WHEN r.started THEN 1 ELSE 0 END,
           execute_after = CASE WHEN r.started THEN now() ELSE j.execute_after END
       FROM input AS r
       WHERE j.id = ANY ($2::bigint[]) AND j.id = r.id AND j.worker_id = $1 AND j.status = 'picked'
       RETURNING j.id, j.entrypoint, j.priority, j.attempts, j.created_at, j.picked_at, r.started
     ), logged AS (
       INSERT INTO ${n.log} (job_id, entrypoint, priority, status, attempt, worker_id, error, created_at, picked_at)
       SELECT id, entrypoint, priority, 'rescued', attempts, $1, $4::jsonb, created_at, picked_at
       FROM released WHERE started
     ), wake AS (
       ${notifyEnqueued(n.channel, 'released')}
     )
     SELECT count(*) AS released, (SELECT count(*) FROM wake) AS notices FROM released`,
  );
  return async (db: Queryable, workerId: string, jobs: readonly ReleasedJob[]): Promise<void> => {
    if (jobs.length === 0) return;
    await db.query(statement, [workerId, jobs.map((j) => j.id), jobs.map((j) => j.started), SHUTDOWN_TIMEOUT]);
  };
}
