import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import { LIVE_STATUSES } from '../../job-status.js';
import type { JobStatus } from '../../types.js';

export interface QueueDepthRow {
  entrypoint: string;
  status: JobStatus;
  /** Exact up to the query's cap; `capped` when there are more. */
  count: number;
  capped: boolean;
}


/**
 * Live jobs per entrypoint and status, cheap at any queue size, for a view refreshed every
 * second. A plain GROUP BY reads every live row; instead each status walks its own partial
 * index: the distinct entrypoints by a skip scan (one index probe per entrypoint), then at
 * most `cap` index entries each. The status is written literally in every branch because
 * PostgreSQL only uses a partial index when the query's text implies its predicate.
 */
export function queueDepthQuery(n: SchemaNames) {
  const branch = (status: JobStatus): string => `
    (WITH RECURSIVE names AS (
       SELECT (SELECT min(entrypoint) FROM ${n.jobs} WHERE status = '${status}') AS name
       UNION ALL
       SELECT (SELECT min(entrypoint) FROM ${n.jobs} WHERE status = '${status}' AND entrypoint > names.name)
       FROM names WHERE names.name IS NOT NULL
     )
     SELECT names.name AS entrypoint, '${status}' AS status, counted.n
     FROM names
     CROSS JOIN LATERAL (
       SELECT count(*)::integer AS n
       FROM (SELECT 1 FROM ${n.jobs} WHERE status = '${status}' AND entrypoint = names.name LIMIT $1) AS capped
     ) AS counted
     WHERE names.name IS NOT NULL
     LIMIT $2)`;
  const statement = prepared(
    'queue_depth',
    `SELECT entrypoint, status, n FROM (${LIVE_STATUSES.map(branch).join('\n    UNION ALL')}) AS depth
     ORDER BY entrypoint, status`,
  );
  /** `cap`: counts stop there (reported as `capped`); `maxEntrypoints`: per status. */
  return async (db: Queryable, cap: number, maxEntrypoints: number): Promise<QueueDepthRow[]> => {
    // One row past the cap tells "exactly cap" from "more than cap".
    const rows = await db.query<{ entrypoint: string; status: JobStatus; n: number }>(statement, [cap + 1, maxEntrypoints]);
    return rows.map((r) => ({ entrypoint: r.entrypoint, status: r.status, count: Math.min(r.n, cap), capped: r.n > cap }));
  };
}
