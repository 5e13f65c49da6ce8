import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { Completion } from '../../port/rows.js';
import { notifyEnqueued, notifyIdsInChunks } from './notify.js';

/**
 * Records a batch of finished attempts in one statement: finished jobs move from `jobs` to
 * `job_log`, retried and snoozed ones go back to the queue with their delay (the attempt
 * logged), held ones stay as `held`, and completion watchers are notified.
 *
 * Every write is fenced by (worker, attempt): if this worker's heartbeat expired and another
 * worker took the job over, this worker's late outcome is ignored instead of clobbering the
 * new attempt. A job canceled while running ends `canceled`, whatever its handler did.
 *
 * The rows are found through id arrays (`id = ANY (ARRAY(...))`, all ids and the retried
 * ones) rather than a join with the JSON input alone: with stale statistics the planner would
 * otherwise loop over every picked job once per input row (seen: 600 ms for 500 completions);
 * an array plans as primary-key lookups. The status is tested as `(status = 'picked') IS TRUE`,
 * which the planner cannot match to the partial index of picked jobs: with that index in reach
 * it scanned every picked job and tested each against the whole id array, a cost that grows
 * with the batch times the jobs running (at 2,000 outcomes, 40% of the statement).
 */
export function completeQuery(n: SchemaNames) {
  const statement = prepared(
    'complete',
    `WITH input AS (
       SELECT * FROM json_to_recordset($2::json)
         AS t(i bigint, a integer, o text, e jsonb, r jsonb, t double precision, w double precision)
     ), finished AS (
       DELETE FROM ${n.jobs} AS j USING input AS x
       WHERE j.id = ANY (ARRAY(SELECT i FROM input)) AND j.id = x.i AND j.attempts = x.a AND j.worker_id = $1 AND (j.status = 'picked') IS TRUE
         AND (x.o NOT IN ('retried', 'snoozed', 'held') OR j.cancel_requested)
       RETURNING j.id, j.entrypoint, j.priority, j.attempts, j.payload, j.headers, j.created_at, j.picked_at,
         j.dedupe_key, j.dedupe_window_ms, j.requeued_from, j.parents,
         -- A job canceled while it ran ends canceled, however its handler ended.
         CASE WHEN j.cancel_requested THEN 'canceled' ELSE x.o END AS status,
         x.e AS error, x.r AS result, x.t AS duration_ms
     ), again AS (
       -- Retried and snoozed attempts: back to the queue after their delay.
       UPDATE ${n.jobs} AS j
       SET status = CASE WHEN coalesce(x.w, 0) > 0 THEN 'scheduled' ELSE 'queued' END,
           execute_after = now() + make_interval(secs => coalesce(x.w, 0) / 1000.0),
           snoozes = j.snoozes + CASE WHEN x.o = 'snoozed' THEN 1 ELSE 0 END,
           worker_id = NULL, heartbeat = NULL, updated_at = now()
       FROM input AS x
       WHERE j.id = ANY (ARRAY(SELECT i FROM input WHERE o IN ('retried', 'snoozed'))) AND j.id = x.i AND j.attempts = x.a
         AND j.worker_id = $1 AND (j.status = 'picked') IS TRUE AND x.o IN ('retried', 'snoozed') AND NOT j.cancel_requested
       RETURNING j.id, j.entrypoint, j.priority, j.attempts, j.created_at, j.picked_at, x.o AS status, x.e AS error,
         x.t AS duration_ms, coalesce(x.w, 0) AS delay_ms
     ), held AS (
       -- Failed for good under onFailure 'hold': kept with its error, its dedupe key freed.
       UPDATE ${n.jobs} AS j
       SET status = 'held', error = x.e, dedupe_key = NULL, worker_id = NULL, heartbeat = NULL, updated_at = now()
       FROM input AS x
       WHERE j.id = ANY (ARRAY(SELECT i FROM input WHERE o = 'held')) AND j.id = x.i AND j.attempts = x.a
         AND j.worker_id = $1 AND (j.status = 'picked') IS TRUE AND x.o = 'held' AND NOT j.cancel_requested
       RETURNING j.id, j.entrypoint, j.priority, j.attempts, j.created_at, j.picked_at, x.e AS error, x.t AS duration_ms
     ), logged AS (
       INSERT INTO ${n.log} (job_id, entrypoint, priority, status, attempt, worker_id, duration_ms, error, result, payload, headers,
                             created_at, picked_at, requeued_from, parents)
       SELECT id, entrypoint, priority, status, attempts, $1, duration_ms, error, CASE WHEN status = 'successful' THEN result END,
              CASE WHEN status <> 'successful' THEN payload END,
              CASE WHEN status <> 'successful' THEN headers END,
              created_at, picked_at, requeued_from, parents
       FROM finished
       UNION ALL
       SELECT id, entrypoint, priority, status, attempts, $1, duration_ms, error, NULL, NULL, NULL, created_at, picked_at, NULL, NULL
       FROM again
       UNION ALL
       -- The attempt failed; the job lives on, held.
       SELECT id, entrypoint, priority, 'exception', attempts, $1, duration_ms, error, NULL, NULL, NULL, created_at, picked_at, NULL, NULL
       FROM held
       RETURNING job_id, status
     ), reserved AS (
       -- A key with a dedupe window stays taken after its job finished.
       INSERT INTO ${n.dedupeReservations} (entrypoint, dedupe_key, job_id, expires_at)
       SELECT entrypoint, dedupe_key, id, now() + make_interval(secs => dedupe_window_ms / 1000.0)
       FROM finished WHERE dedupe_key IS NOT NULL AND dedupe_window_ms IS NOT NULL
       ON CONFLICT (entrypoint, dedupe_key) DO UPDATE SET job_id = EXCLUDED.job_id, expires_at = EXCLUDED.expires_at
     ), done_notices AS (
       ${notifyIdsInChunks(n.doneChannel, 'done', "logged WHERE status NOT IN ('retried', 'snoozed')", 'job_id')}
     ), wake_notices AS (
       ${notifyEnqueued(n.channel, 'again', 'min(delay_ms)')}
     )
     -- Only the outcomes not recorded come back (normally none): a row per job would cost
     -- the worker more to read than the statement costs the database.
     SELECT ARRAY(SELECT i FROM input EXCEPT SELECT job_id FROM logged) AS ignored,
            (SELECT count(*) FROM done_notices) + (SELECT count(*) FROM wake_notices) AS notices,
            -- An outcome lost in a database crash means the job is rescued and runs again (at
            -- least once), so the commit does not wait for the WAL flush; see migration 3 (003-lifecycle.ts).
            set_config('synchronous_commit', 'off', true) AS async`,
  );

  return async (db: Queryable, workerId: string, completions: readonly Completion[]): Promise<Set<number>> => {
    if (completions.length === 0) return new Set();
    // Keys left out read as NULL: most outcomes are a success with no result, and the JSON of
    // a batch of 2,000 is built and sent for every write.
    let json = '[';
    for (const c of completions) {
      if (json.length > 1) json += ',';
      json += `{"i":${c.id},"a":${c.attempt},"o":"${c.outcome}","t":${Math.round(c.durationMs * 1000) / 1000}`;
      if (c.error) json += `,"e":${JSON.stringify(c.error)}`;
      if (c.result !== undefined) json += `,"r":${c.result}`;
      if (c.retryDelayMs) json += `,"w":${c.retryDelayMs}`;
      json += '}';
    }
    json += ']';
    const [row] = await db.query<{ ignored: string[] }>(statement, [
      workerId,
      json,
    ]);
    const accepted = new Set(completions.map((c) => c.id));
    for (const id of row!.ignored) accepted.delete(Number(id));
    return accepted;
  };
}
