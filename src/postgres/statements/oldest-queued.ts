import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';

/**
 * Seconds the oldest queued job has waited since it became runnable, or null with none
 * queued. Walks the primary key from the oldest row: queued jobs are normally the oldest
 * live ones, so the first match comes at once; held and deferred rows ahead are skipped, at
 * most `scan` of them, so a pile of old held jobs cannot make the read slow.
 */
export function oldestQueuedQuery(n: SchemaNames) {
  const statement = prepared(
    'oldest_queued',
    `SELECT greatest(0, extract(epoch FROM now() - execute_after))::double precision AS age
     FROM (SELECT status, execute_after FROM ${n.jobs} ORDER BY id LIMIT $1) AS oldest
     WHERE status = 'queued' LIMIT 1`,
  );
  return async (db: Queryable, scan: number): Promise<number | null> =>
    (await db.query<{ age: number }>(statement, [scan]))[0]?.age ?? null;
}
