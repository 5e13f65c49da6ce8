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
 * attempts' median and 95th percentile duration. A time window (BRIN range scan), so the cost
 * follows the recent rate, never the size of the log; `maxRows` caps the rows a very busy
 * window reads (the newest are kept), which makes the figures a sample of the window's end.
 */
export function entrypointStatsQuery(n: SchemaNames) {
  const statement = prepared(
    'entrypoint_stats',
    `WITH recent AS (
       SELECT entrypoint, status, duration_ms FROM ${n.log}
       WHERE finished_at >= now() - make_interval(secs => $1)
       ORDER BY finished_at DESC
       LIMIT $2
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
