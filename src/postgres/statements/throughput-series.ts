import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';

export interface ThroughputBucket {
  /** Start of the bucket, database time. */
  at: Date;
  /** Jobs that reached a final status in the bucket. */
  finished: number;
  failed: number;
}

/**
 * Finished and failed jobs per minute or per hour, oldest bucket first, every bucket of the
 * window present (zeros included) so a chart's x axis is regular. The window is a range
 * scan of the finished_at BRIN index: its cost follows the rate over the window, not the
 * size of the log.
 */
export function throughputSeriesQuery(n: SchemaNames) {
  const statement = prepared(
    'throughput_series',
    `WITH buckets AS (
       SELECT generate_series(date_trunc($1, now()) - ($2::integer - 1) * ('1 ' || $1)::interval,
                              date_trunc($1, now()), ('1 ' || $1)::interval) AS at
     ), counted AS (
       SELECT date_trunc($1, finished_at) AS at,
              count(*) FILTER (WHERE status IN ('successful', 'exception', 'canceled'))::integer AS finished,
              count(*) FILTER (WHERE status = 'exception')::integer AS failed
       FROM ${n.log}
       WHERE finished_at >= date_trunc($1, now()) - ($2::integer - 1) * ('1 ' || $1)::interval
       GROUP BY 1
     )
     SELECT b.at, coalesce(c.finished, 0) AS finished, coalesce(c.failed, 0) AS failed
     FROM buckets AS b LEFT JOIN counted AS c ON c.at = b.at ORDER BY b.at`,
  );
  /** `unit`: bucket width; `buckets`: how many, the last one being the current (partial) one. */
  return async (db: Queryable, unit: 'minute' | 'hour', buckets: number): Promise<ThroughputBucket[]> =>
    db.query<ThroughputBucket>(statement, [unit, buckets]);
}
