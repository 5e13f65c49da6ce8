import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import { groupKey } from './group-key.js';

export interface QueuedVersionRow {
  entrypoint: string;
  /** The payload schema's fingerprint a typed producer stamped (header pgq-fingerprint); null: untyped. */
  fingerprint: string | null;
  /** Among the sampled jobs. */
  count: number;
}

/**
 * Which payload schema versions the next `sample` queued jobs of each entrypoint were written
 * with: the jobs the workers will meet first, read by a walk of the claim's own index (one per
 * entrypoint: ungrouped jobs, then group by group), so the cost is `sample` rows per
 * entrypoint whatever the queue's depth.
 */
export function queuedVersionsQuery(n: SchemaNames) {
  const statement = prepared(
    'queued_versions',
    `SELECT e.name AS entrypoint, v.fingerprint, count(*)::integer AS n
     FROM unnest($1::text[]) AS e(name)
     CROSS JOIN LATERAL (
       SELECT headers->>'pgq-fingerprint' AS fingerprint FROM ${n.jobs}
       WHERE status = 'queued' AND entrypoint = e.name
       ORDER BY ${groupKey()}, priority DESC, id LIMIT $2
     ) AS v
     GROUP BY 1, 2 ORDER BY 1, 3 DESC`,
  );
  return async (db: Queryable, entrypoints: readonly string[], sample: number): Promise<QueuedVersionRow[]> => {
    const rows = await db.query<{ entrypoint: string; fingerprint: string | null; n: number }>(statement, [entrypoints, sample]);
    return rows.map((r) => ({ entrypoint: r.entrypoint, fingerprint: r.fingerprint, count: r.n }));
  };
}
