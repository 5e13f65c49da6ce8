import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import { LIVE_STATUSES } from '../../job-status.js';
import type { JobQuery } from '../../port/rows.js';
import type { AnyJobStatus, AttemptStatus, JobAttempt, JobError, JobHeaders, JobInfo, JobPage, JobSummary } from '../../types.js';

const FINAL: readonly AnyJobStatus[] = ['successful', 'exception', 'canceled'];

const LIVE_COLUMNS = `id, entrypoint, status, priority, payload, headers, attempts, created_at, execute_after,
  NULL::jsonb AS result, error, requeued_from, parents`;
/**
 * A finished job is its newest final log entry (a held job requeued and run again has an
 * older one); a job live again is not finished. One row per job, in job id order, so a walk
 * of a job_id index backwards yields jobs newest first with no sort (DISTINCT ON would sort).
 */
const FINISHED = (n: SchemaNames, where: string) => `
  SELECT l.job_id AS id, l.entrypoint, l.status, l.priority, l.payload, l.headers, l.attempt AS attempts,
         l.created_at, NULL::timestamptz AS execute_after, l.result, l.error, l.requeued_from, l.parents
  FROM ${n.log} AS l
  WHERE ${where} AND NOT EXISTS (SELECT 1 FROM ${n.jobs} AS j WHERE j.id = l.job_id)
    AND NOT EXISTS (SELECT 1 FROM ${n.log} AS later WHERE later.job_id = l.job_id AND later.id > l.id
                    AND later.status IN ('successful', 'exception', 'canceled'))
  ORDER BY l.job_id DESC`;

interface JobRow {
  id: string;
  entrypoint: string;
  status: AnyJobStatus;
  priority: number;
  payload: unknown;
  headers: JobHeaders | null;
  attempts: number;
  created_at: Date;
  execute_after: Date | null;
  result: unknown;
  error: JobError | null;
  requeued_from: string | null;
  parents: string[] | null;
}

function summary(r: JobRow): JobSummary {
  const job: JobSummary = {
    id: Number(r.id),
    entrypoint: r.entrypoint,
    status: r.status,
    priority: r.priority,
    payload: r.payload ?? null,
    headers: r.headers ?? null,
    attempts: r.attempts,
    createdAt: r.created_at,
    executeAfter: r.execute_after,
  };
  if (r.status === 'successful' && r.result !== null) job.result = r.result;
  if (r.error !== null) job.error = r.error;
  if (r.requeued_from !== null) job.requeuedFrom = Number(r.requeued_from);
  if (r.parents !== null) job.parents = r.parents.map(Number);
  return job;
}

/** One job, live or finished, with its history (every log entry, oldest first). */
export function getJobQuery(n: SchemaNames) {
  const statement = prepared(
    'get_job',
    `SELECT job.*,
            (SELECT coalesce(json_agg(json_build_object(
                      'attempt', h.attempt, 'status', h.status, 'startedAt', h.picked_at, 'finishedAt', h.finished_at,
                      'durationMs', h.duration_ms, 'workerId', h.worker_id, 'error', h.error) ORDER BY h.id), '[]'::json)
             FROM ${n.log} AS h WHERE h.job_id = job.id) AS history,
            ARRAY(SELECT d.child_id FROM ${n.dependencies} AS d WHERE d.parent_id = job.id ORDER BY d.child_id) AS children
     FROM (
       SELECT ${LIVE_COLUMNS} FROM ${n.jobs} WHERE id = $1
       UNION ALL
       SELECT * FROM (${FINISHED(n, 'l.job_id = $1')}) AS finished
     ) AS job
     LIMIT 1`,
  );
  return async (db: Queryable, id: number): Promise<JobInfo | null> => {
    const [row] = await db.query<JobRow & { children: string[]; history: Array<Omit<JobAttempt, 'startedAt' | 'finishedAt'> & { startedAt: string | null; finishedAt: string; error: JobError | null }> }>(statement, [id]);
    if (!row) return null;
    const history: JobAttempt[] = row.history.map((h) => {
      const attempt: JobAttempt = {
        attempt: h.attempt,
        status: h.status as AttemptStatus,
        startedAt: h.startedAt === null ? null : new Date(h.startedAt),
        finishedAt: new Date(h.finishedAt),
        durationMs: h.durationMs,
        workerId: h.workerId,
      };
      if (h.error !== null) attempt.error = h.error;
      return attempt;
    });
    return { ...summary(row), history, children: row.children.map(Number) };
  };
}

/**
 * A page of jobs, newest first (by id), live and finished. Each source is an index walk that
 * stops at the page size: live jobs walk the primary key backwards, finished ones the log's
 * job_id index (failed and canceled ones their own partial index). A filter on an entrypoint
 * walks the same indexes, reading past other entrypoints' jobs: its cost grows with how rare
 * the entrypoint is among the newest jobs.
 */
export function listJobsQuery(n: SchemaNames) {
  // The status is written into the text, not passed: PostgreSQL uses a partial index only
  // when the query's text implies its predicate. One statement per status, made on first use.
  const statements = new Map<string, { live?: ReturnType<typeof prepared>; finished?: ReturnType<typeof prepared> }>();
  const forStatus = (status: AnyJobStatus | null) => {
    const key = status ?? 'any';
    let made = statements.get(key);
    if (!made) {
      made = {};
      if (status === null || (LIVE_STATUSES as readonly AnyJobStatus[]).includes(status)) {
        made.live = prepared(
          `list_live_${key}`,
          `SELECT ${LIVE_COLUMNS} FROM ${n.jobs}
           WHERE ($1::text IS NULL OR entrypoint = $1) AND ($2::bigint IS NULL OR id < $2)
             ${status === null ? '' : `AND status = '${status}'`}
           ORDER BY id DESC LIMIT $3`,
        );
      }
      if (status === null || FINAL.includes(status)) {
        const which = status === null ? `l.status IN ('successful', 'exception', 'canceled')` : status === 'successful' ? `l.status = 'successful'` : `l.status IN ('exception', 'canceled') AND l.status = '${status}'`;
        made.finished = prepared(
          `list_finished_${key}`,
          // The limit right on the walk: an ORDER BY on top of it (by its output column) would
          // make PostgreSQL read the whole log first (20 s at 10M rows) instead of stopping early.
          `${FINISHED(n, `${which} AND ($1::text IS NULL OR l.entrypoint = $1) AND ($2::bigint IS NULL OR l.job_id < $2)`)}
           LIMIT $3`,
        );
      }
      statements.set(key, made);
    }
    return made;
  };
  return async (db: Queryable, query: JobQuery): Promise<JobPage> => {
    const { live, finished } = forStatus(query.status);
    // One more than the page: whether there is a next page.
    const values = [query.entrypoint, query.before, query.limit + 1];
    const [a, b] = await Promise.all([
      live ? db.query<JobRow>(live, values) : [],
      finished ? db.query<JobRow>(finished, values) : [],
    ]);
    const rows = [...a, ...b].sort((x, y) => Number(y.id) - Number(x.id));
    const jobs = rows.slice(0, query.limit).map(summary);
    return { jobs, next: rows.length > query.limit ? jobs.at(-1)!.id : null };
  };
}
