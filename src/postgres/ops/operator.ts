import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { failuresQuery, type FailureList, type FailureSearch } from '../statements/failures.js';
import { dashboardReader, type DashboardSnapshot } from './dashboard-snapshot.js';

export type { FailureList, FailureRow, FailureSearch } from '../statements/failures.js';
export type { DashboardSnapshot } from './dashboard-snapshot.js';

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
    this.q = { failures: failuresQuery(names), snapshot: dashboardReader(names) };
  }

  /** The newest failed jobs, looking through at most `search.scan` of the newest log entries. */
  recentFailures(search: FailureSearch): Promise<FailureList> {
    return this.q.failures(this.db, search);
  }

  /** One dashboard frame's worth of facts. */
  snapshot(): Promise<DashboardSnapshot> {
    return this.q.snapshot(this.db);
  }
}
