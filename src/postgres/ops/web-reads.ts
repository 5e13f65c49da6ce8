import type { Queryable } from '../driver.js';
import { installedVersion } from '../migrations/runner.js';
import { LATEST_VERSION } from '../migrations/index.js';
import type { SchemaNames } from '../schema-names.js';
import { entrypointStatsQuery, type EntrypointStatsRow } from '../statements/entrypoint-stats.js';
import { jobSearchQuery, type JobSearch, type JobSearchRow } from '../statements/job-search.js';
import { oldestQueuedQuery } from '../statements/oldest-queued.js';
import { pauseQueries } from '../statements/pause.js';
import { queueDepthQuery, type QueueDepthRow } from '../statements/queue-depth.js';
import { queuedVersionsQuery, type QueuedVersionRow } from '../statements/queued-versions.js';
import { oldestTransactionQuery, serverVersionQuery, tableHealthQuery, type OldestTransaction, type TableHealthRow } from '../statements/system-health.js';
import { throughputMinutesQuery, type ThroughputBucket } from '../statements/throughput-series.js';
import { databaseNowQuery } from '../statements/schedules.js';
import { workerListQuery, type WorkerRow } from '../statements/worker-list.js';

export type { EntrypointStatsRow } from '../statements/entrypoint-stats.js';
export type { JobSearchRow } from '../statements/job-search.js';
export type { QueueDepthRow } from '../statements/queue-depth.js';
export type { QueuedVersionRow } from '../statements/queued-versions.js';
export type { OldestTransaction, TableHealthRow } from '../statements/system-health.js';
export type { ThroughputBucket } from '../statements/throughput-series.js';
export type { WorkerRow } from '../statements/worker-list.js';

/**
 * Bounds that keep every page cheap at any table size: depth counts stop at DEPTH_CAP per
 * entrypoint and status; statistics read at most STATS_ROWS of the window's newest log rows.
 */
export const DEPTH_CAP = 10_000;
const MAX_ENTRYPOINTS = 200;
const STATS_ROWS = 20_000;
const OLDEST_SCAN = 10_000;
/** Live jobs, and log entries, a text search looks through (the newest of each). */
export const SEARCH_SCAN = 5_000;
/** Queued jobs per entrypoint whose schema versions are shown: the next ones to run. */
export const VERSION_SAMPLE = 200;

export interface Overview {
  depth: QueueDepthRow[];
  paused: string[];
  oldestQueuedSeconds: number | null;
  workers: WorkerRow[];
  workerTotal: number;
}

export interface SystemReport {
  schema: string;
  installedVersion: number | null;
  codeVersion: number;
  tables: TableHealthRow[];
  oldestTransaction: OldestTransaction | null;
  serverVersion: string;
}

/**
 * What the web dashboard reads beyond the queue API: statistics over the log, depth, workers
 * and the database's own health. Each read is a few small, index-backed queries.
 */
export class WebReads {
  private readonly q;

  constructor(
    private readonly db: Queryable,
    readonly names: SchemaNames,
  ) {
    this.q = {
      depth: queueDepthQuery(names),
      paused: pauseQueries(names).list,
      minutes: throughputMinutesQuery(names),
      now: databaseNowQuery(names),
      stats: entrypointStatsQuery(names),
      versions: queuedVersionsQuery(names),
      search: jobSearchQuery(names),
      oldest: oldestQueuedQuery(names),
      workers: workerListQuery(names),
      tables: tableHealthQuery(names),
      oldestTransaction: oldestTransactionQuery(names),
      serverVersion: serverVersionQuery(names),
    };
  }

  depth(): Promise<QueueDepthRow[]> {
    return this.q.depth(this.db, DEPTH_CAP, MAX_ENTRYPOINTS);
  }

  paused(): Promise<string[]> {
    return this.q.paused(this.db);
  }

  async overview(): Promise<Overview> {
    const [depth, paused, oldestQueuedSeconds, workers] = await Promise.all([
      this.depth(),
      this.paused(),
      this.q.oldest(this.db, OLDEST_SCAN),
      this.q.workers(this.db, 1_000),
    ]);
    return { depth, paused, oldestQueuedSeconds, workers: workers.workers, workerTotal: workers.total };
  }

  /** Finished and failed jobs per minute in [from, to) (minutes without any left out). */
  throughputMinutes(from: Date, to: Date): Promise<ThroughputBucket[]> {
    return this.q.minutes(this.db, from, to);
  }

  /** The database clock: the throughput history's minutes are the database's. */
  now(): Promise<Date> {
    return this.q.now(this.db);
  }

  entrypointStats(windowSeconds: number): Promise<EntrypointStatsRow[]> {
    return this.q.stats(this.db, windowSeconds, STATS_ROWS);
  }

  /** Schema versions among the next VERSION_SAMPLE queued jobs of each entrypoint. */
  queuedVersions(entrypoints: readonly string[]): Promise<QueuedVersionRow[]> {
    return this.q.versions(this.db, entrypoints, VERSION_SAMPLE);
  }

  /** Jobs whose payload or headers hold `text`, among the newest SEARCH_SCAN live jobs and log entries. */
  searchJobs(search: Omit<JobSearch, 'scan'>): Promise<JobSearchRow[]> {
    return this.q.search(this.db, { ...search, scan: SEARCH_SCAN });
  }

  workers(limit: number): Promise<{ workers: WorkerRow[]; total: number }> {
    return this.q.workers(this.db, limit);
  }

  async system(): Promise<SystemReport> {
    const [version, tables, oldestTransaction, server] = await Promise.all([
      installedVersion(this.db, this.names),
      this.q.tables(this.db),
      this.q.oldestTransaction(this.db),
      this.q.serverVersion(this.db),
    ]);
    return { schema: this.names.schema, installedVersion: version, codeVersion: LATEST_VERSION, tables, oldestTransaction, serverVersion: server };
  }
}
