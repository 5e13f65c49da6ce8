import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { WorkerInfo } from '../../port/rows.js';

/** The registry of live workers, for operators (`pgq dashboard`); not needed for correctness. */
export function registerWorkerQuery(n: SchemaNames) {
  const statement = prepared(
    'register_worker',
    `INSERT INTO ${n.workers} (id, hostname, pid, entrypoints) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET heartbeat = now(), entrypoints = EXCLUDED.entrypoints`,
  );
  return async (db: Queryable, w: WorkerInfo): Promise<void> => {
    await db.query(statement, [w.id, w.hostname, w.pid, w.entrypoints]);
  };
}

export function unregisterWorkerQuery(n: SchemaNames) {
  const statement = prepared('unregister_worker', `DELETE FROM ${n.workers} WHERE id = $1`);
  return async (db: Queryable, workerId: string): Promise<void> => {
    await db.query(statement, [workerId]);
  };
}
