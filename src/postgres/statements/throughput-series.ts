import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';

export interface ThroughputBucket {
  /** Start of the minute, database time. */
  at: Date;
  /** Jobs that reached a final status in the minute. */
  finished: number;
  failed: number;
}

/**
 * Finished and failed jobs per minute with a finish time in [from, to), only the minutes that
 * have any. A range scan of the finished_at BRIN index: its cost follows the rows in the
 * range, never the size of the log, so callers read history in short ranges and keep it.
 */
export function throughputMinutesQuery(n: SchemaNames) {
  const statement = prepared(
    'throughput_minutes',
    `SELECT date_trunc('minute', finished_at) AS at,
            count(*) FILTER (WHERE status IN ('successful', 'exception', 'canceled'))::integer AS finished,
            count(*) FILTER (WHERE status = 'exception')::integer AS failed
     FROM ${n.log}
     WHERE finished_at >= $1 AND finished_at < $2
     GROUP BY 1 ORDER BY 1`,
  );
  return async (db: Queryable, from: Date, to: Date): Promise<ThroughputBucket[]> => db.query<ThroughputBucket>(statement, [from, to]);
}
