import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';

export interface EntrypointStatsRow {
  entrypoint: string;
  /** Jobs that reached a final status in the window. */
  finished: number;
  failed: number;
  /** Attempt durations (every attempt that ran, retries included), milliseconds. */
  p50Ms: number | null;
  p95Ms: number | null;
}

/**
 * Per entrypoint over the last `windowSeconds` of the log: finished and failed jobs and the
 * attempts' median and 95th percentile duration. Reads the newest `maxRows` log entries by
 * walking the primary key backwards (ids grow with finishing time) and keeps those in the
 * window, so the cost is bounded whatever the log's size or rate; a window holding more
 * entries than that is summarized by its newest `maxRows` (a sample of the window's end).
 */
export function entrypointStatsQuery(n: SchemaNames) {
  const statement = prepared(
    'entrypoint_stats',
    `WITH newest AS MATERIALIZED (
       SELECT entrypoint, status, duration_ms, finished_at FROM ${n.log} ORDER BY id DESC LIMIT $2
     ), recent AS (
       SELECT entrypoint, status, duration_ms FROM newest WHERE finished_at >= now() - make_interval(secs => $1)
     )
     SELECT entrypoint,
            count(*) FILTER (WHERE status IN ('successful', 'exception', 'canceled'))::integer AS finished,
            count(*) FILTER (WHERE status = 'exception')::integer AS failed,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
     FROM recent GROUP BY entrypoint ORDER BY entrypoint`,
  );
  return async (db: Queryable, windowSeconds: number, maxRows: number): Promise<EntrypointStatsRow[]> => {
    const rows = await db.query<{ entrypoint: string; finished: number; failed: number; p50: number | null; p95: number | null }>(
      statement,
      [windowSeconds, maxRows],
    );
    return rows.map((r) => ({ entrypoint: r.entrypoint, finished: r.finished, failed: r.failed, p50Ms: r.p50, p95Ms: r.p95 }));
  };
}
