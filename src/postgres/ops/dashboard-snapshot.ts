import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { failuresQuery, type FailureRow } from '../statements/failures.js';
import { pauseQueries } from '../statements/pause.js';
import { queueDepthQuery, type QueueDepthRow } from '../statements/queue-depth.js';
import type { ScheduleRow } from '../../types.js';
import { databaseNowQuery, readSchedulesQuery } from '../statements/schedules.js';
import { throughputQuery, type ThroughputRow } from '../statements/throughput.js';
import { workerListQuery, type WorkerRow } from '../statements/worker-list.js';

/** Everything one dashboard frame shows, read at (about) one database instant. */
export interface DashboardSnapshot {
  schema: string;
  /** Database time of the read; ages and "next run in" are relative to it. */
  now: Date;
  depth: QueueDepthRow[];
  depthCap: number;
  /** Entrypoints paused by `pgq pause`: their queued jobs wait. */
  paused: string[];
  throughput: ThroughputRow[];
  throughputWindowSeconds: number;
  failures: FailureRow[];
  /** How many of the newest log entries were searched for failures. */
  failureScan: number;
  workers: WorkerRow[];
  workerTotal: number;
  schedules: ScheduleRow[];
  scheduleTotal: number;
}

/**
 * Bounds that keep one refresh cheap however large the tables are: counts stop at DEPTH_CAP
 * per entrypoint and status, failures are looked for among the newest FAILURE_SCAN log entries.
 */
const DEPTH_CAP = 10_000;
const MAX_ENTRYPOINTS = 100;
const THROUGHPUT_WINDOW_SECONDS = 60;
const FAILURES_SHOWN = 10;
const FAILURE_SCAN = 10_000;
const WORKERS_SHOWN = 20;
const SCHEDULES_SHOWN = 20;

/** Reads one snapshot: a handful of small, index-backed queries, run side by side. */
export function dashboardReader(names: SchemaNames): (db: Queryable) => Promise<DashboardSnapshot> {
  const q = {
    now: databaseNowQuery(names),
    depth: queueDepthQuery(names),
    paused: pauseQueries(names).list,
    throughput: throughputQuery(names),
    failures: failuresQuery(names),
    workers: workerListQuery(names),
    schedules: readSchedulesQuery(names),
  };
  return async (db) => {
    const [now, depth, paused, throughput, failures, workers, schedules] = await Promise.all([
      q.now(db),
      q.depth(db, DEPTH_CAP, MAX_ENTRYPOINTS),
      q.paused(db),
      q.throughput(db, THROUGHPUT_WINDOW_SECONDS, MAX_ENTRYPOINTS),
      q.failures(db, { limit: FAILURES_SHOWN, entrypoint: null, scan: FAILURE_SCAN }),
      q.workers(db, WORKERS_SHOWN),
      q.schedules(db, null),
    ]);
    return {
      schema: names.schema,
      now,
      depth,
      depthCap: DEPTH_CAP,
      paused,
      throughput,
      throughputWindowSeconds: THROUGHPUT_WINDOW_SECONDS,
      failures: failures.failures,
      failureScan: FAILURE_SCAN,
      workers: workers.workers,
      workerTotal: workers.total,
      // Soonest first: what is about to fire matters most.
      schedules: [...schedules.rows].sort((a, b) => a.nextRun.getTime() - b.nextRun.getTime()).slice(0, SCHEDULES_SHOWN),
      scheduleTotal: schedules.rows.length,
    };
  };
}
