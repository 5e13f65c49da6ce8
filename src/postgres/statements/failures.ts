import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';

export interface FailureRow {
  /** The failed job's id (what `pgq retry` takes). */
  jobId: number;
  entrypoint: string;
  attempt: number;
  finishedAt: Date;
  errorName: string;
  /** First line of the error message, at most 500 characters. */
  errorMessage: string;
}

export interface FailureSearch {
  limit: number;
  entrypoint: string | null;
  /** How many of the newest log entries to look through. */
  scan: number;
}

export interface FailureList {
  failures: FailureRow[];
  /** Log entries looked through: equal to `scan` when older entries were left unsearched. */
  scanned: number;
}

/**
 * The newest failed jobs (log status `exception`), newest first.
 *
 * The log has no index on status, and failures can be rare among millions of successes, so
 * an unbounded "newest N failures" could read the whole log to find nothing. The search is
 * bounded instead: it walks the primary key backwards over the newest `scan` entries (ids
 * grow with finishing time; only small columns are read), then fetches the matches' errors.
 * Only the first line of a message crosses the wire; stacks never do.
 */
export function failuresQuery(n: SchemaNames) {
  const statement = prepared(
    'recent_failures',
    `WITH recent AS MATERIALIZED (
       SELECT id, status, entrypoint, finished_at FROM ${n.log} ORDER BY id DESC LIMIT $1
     ), matches AS (
       SELECT id, finished_at FROM recent
       WHERE status = 'exception' AND ($3::text IS NULL OR entrypoint = $3)
       ORDER BY id DESC
       LIMIT $2
     )
     SELECT (SELECT count(*)::integer FROM recent) AS scanned,
            l.job_id, l.entrypoint, l.attempt, l.finished_at,
            coalesce(l.error->>'name', 'Error') AS error_name,
            left(split_part(coalesce(l.error->>'message', ''), E'\\n', 1), 500) AS error_message
     FROM (SELECT 1) AS always
     LEFT JOIN (matches JOIN ${n.log} AS l ON l.id = matches.id) ON true
     ORDER BY matches.id DESC`,
  );
  return async (db: Queryable, search: FailureSearch): Promise<FailureList> => {
    const rows = await db.query<{
      scanned: number; job_id: string | null; entrypoint: string; attempt: number; finished_at: Date;
      error_name: string; error_message: string;
    }>(statement, [search.scan, search.limit, search.entrypoint]);
    return {
      scanned: rows[0]?.scanned ?? 0,
      failures: rows
        .filter((r) => r.job_id !== null)
        .map((r) => ({
          jobId: Number(r.job_id), entrypoint: r.entrypoint, attempt: r.attempt, finishedAt: r.finished_at,
          errorName: r.error_name, errorMessage: r.error_message,
        })),
    };
  };
}
