import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';

export interface WorkerRow {
  id: string;
  hostname: string;
  pid: number;
  entrypoints: string[];
  startedAt: Date;
  /** Seconds since the worker's last heartbeat, by the database clock. */
  heartbeatAgeSeconds: number;
}

/**
 * Registered workers, freshest heartbeat first. Workers that crashed keep their row (pruned an
 * hour later by retention), so the heartbeat age is what tells a live worker from a dead one.
 */
export function workerListQuery(n: SchemaNames) {
  const statement = prepared(
    'worker_list',
    `SELECT id, hostname, pid, entrypoints, started_at,
            greatest(0, extract(epoch FROM clock_timestamp() - heartbeat))::double precision AS age,
            count(*) OVER ()::integer AS total
     FROM ${n.workers} ORDER BY heartbeat DESC, id LIMIT $1`,
  );
  return async (db: Queryable, limit: number): Promise<{ workers: WorkerRow[]; total: number }> => {
    const rows = await db.query<{
      id: string; hostname: string; pid: number; entrypoints: string[]; started_at: Date; age: number; total: number;
    }>(statement, [limit]);
    return {
      total: rows[0]?.total ?? 0,
      workers: rows.map((r) => ({
        id: r.id, hostname: r.hostname, pid: r.pid, entrypoints: r.entrypoints, startedAt: r.started_at, heartbeatAgeSeconds: r.age,
      })),
    };
  };
}
