import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { failuresQuery, type FailureList, type FailureSearch } from '../statements/failures.js';
import { throughputQuery, type ThroughputRow } from '../statements/throughput.js';
import { workerListQuery, type WorkerRow } from '../statements/worker-list.js';
import { dashboardReader, type DashboardSnapshot } from './dashboard-snapshot.js';

export type { FailureList, FailureRow, FailureSearch } from '../statements/failures.js';
export type { DashboardSnapshot } from './dashboard-snapshot.js';
export type { ThroughputRow } from '../statements/throughput.js';
export type { WorkerRow } from '../statements/worker-list.js';

/**
 * What an operator reads beyond the queue API, on PostgreSQL: the failures in the log and
 * the dashboard's snapshot. The CLI reaches these through `withOperator()` (admin.ts), never
 * through the statements themselves.
 */
export class PgOperator {
  private readonly q;

  constructor(
    private readonly db: Queryable,
    readonly names: SchemaNames,
  ) {
    this.q = {
      failures: failuresQuery(names),
      snapshot: dashboardReader(names),
      throughput: throughputQuery(names),
      workers: workerListQuery(names),
    };
  }

  /** The newest failed jobs, looking through at most `search.scan` of the newest log entries. */
  recentFailures(search: FailureSearch): Promise<FailureList> {
    return this.q.failures(this.db, search);
  }

  /** Jobs finished and failed per entrypoint over the last `windowSeconds` (the dashboard's statement, any window). */
  throughput(windowSeconds: number, maxEntrypoints: number): Promise<ThroughputRow[]> {
    return this.q.throughput(this.db, windowSeconds, maxEntrypoints);
  }

  /** Registered workers, freshest heartbeat first, with how many there are in all. */
  workers(limit: number): Promise<{ workers: WorkerRow[]; total: number }> {
    return this.q.workers(this.db, limit);
  }

  /** One dashboard frame's worth of facts. */
  snapshot(): Promise<DashboardSnapshot> {
    return this.q.snapshot(this.db);
  }
}
