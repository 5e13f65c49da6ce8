import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { AnyJobStatus, JobError } from '../../types.js';

export interface JobSearch {
  /** Text looked for, case-insensitively, in the payload's and the headers' JSON. */
  text: string;
  entrypoint: string | null;
  status: AnyJobStatus | null;
  limit: number;
  /** How many of the newest live jobs, and of the newest log entries, are looked through. */
  scan: number;
}

export interface JobSearchRow {
  id: number;
  entrypoint: string;
  status: AnyJobStatus;
  attempts: number;
  createdAt: Date;
  error: JobError | null;
}

/**
 * Jobs whose payload or headers contain some text, newest first. JSON text has no index, so
 * the search is bounded: it reads the newest `scan` live jobs and the newest `scan` log
 * entries (primary-key walks backwards) and matches within those; older jobs are not searched.
 * strpos, not LIKE: the operator's text is never a pattern.
 */
export function jobSearchQuery(n: SchemaNames) {
  const statement = prepared(
    'job_search',
    `WITH live AS MATERIALIZED (
       SELECT id, entrypoint, status, attempts, created_at, error, payload, headers FROM ${n.jobs} ORDER BY id DESC LIMIT $2
     ), logged AS MATERIALIZED (
       SELECT job_id AS id, entrypoint, status, attempt AS attempts, created_at, error, payload, headers FROM ${n.log} ORDER BY id DESC LIMIT $2
     )
     SELECT id, entrypoint, status, attempts, created_at, error
     FROM (SELECT * FROM live UNION ALL SELECT * FROM logged WHERE status IN ('successful', 'exception', 'canceled')) AS j
     WHERE (strpos(lower(coalesce(payload::text, '')), lower($1)) > 0 OR strpos(lower(coalesce(headers::text, '')), lower($1)) > 0)
       AND ($3::text IS NULL OR entrypoint = $3) AND ($4::text IS NULL OR status = $4)
     ORDER BY id DESC
     LIMIT $5`,
  );
  return async (db: Queryable, search: JobSearch): Promise<JobSearchRow[]> => {
    const rows = await db.query<{
      id: string; entrypoint: string; status: AnyJobStatus; attempts: number; created_at: Date; error: JobError | null;
    }>(statement, [search.text, search.scan, search.entrypoint, search.status, search.limit]);
    // A job requeued under its id is live and also has older log entries: it is shown once, live.
    const seen = new Set<string>();
    return rows
      .filter((r) => !seen.has(r.id) && seen.add(r.id))
      .map((r) => ({ id: Number(r.id), entrypoint: r.entrypoint, status: r.status, attempts: r.attempts, createdAt: r.created_at, error: r.error }));
  };
}
