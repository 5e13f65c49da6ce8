import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';

export interface ThroughputRow {
  entrypoint: string;
  /** Jobs that reached a final status (successful, exception, canceled) in the window. */
  finished: number;
  failed: number;
  perSecond: number;
}

/**
 * Jobs finished per entrypoint over the last `windowSeconds`, from the log. The window is a
 * range scan of the finished_at (BRIN) index, so its cost follows the recent rate, not the size of
 * the log. Earlier attempts (retried, rescued) are not finished jobs and are not counted.
 */
export function throughputQuery(n: SchemaNames) {
  const statement = prepared(
    'throughput',
    `SELECT entrypoint,
            count(*) FILTER (WHERE status IN ('successful', 'exception', 'canceled'))::integer AS finished,
            count(*) FILTER (WHERE status = 'exception')::integer AS failed
     FROM ${n.log}
     WHERE finished_at >= now() - make_interval(secs => $1)
     GROUP BY entrypoint
     HAVING count(*) FILTER (WHERE status IN ('successful', 'exception', 'canceled')) > 0
     ORDER BY entrypoint
     LIMIT $2`,
  );
  return async (db: Queryable, windowSeconds: number, maxEntrypoints: number): Promise<ThroughputRow[]> => {
    const rows = await db.query<{ entrypoint: string; finished: number; failed: number }>(statement, [windowSeconds, maxEntrypoints]);
    return rows.map((r) => ({ ...r, perSecond: r.finished / windowSeconds }));
  };
}
