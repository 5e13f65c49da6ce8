import pg from 'pg';
import { connectionError, isConnectionFailure, poolConfig, type ConnectionInput } from './postgres/connection.js';
import { assertInstalled, install } from './postgres/migrations/runner.js';
import { PgDriver } from './postgres/pg-driver.js';
import { schemaNames, type SchemaNames } from './postgres/schema-names.js';
import { ConfigError, StateError, ValidationError } from './errors.js';
import type {
  EnqueueManyItem,
  EnqueueOptions,
  EntrypointOptions,
  JobContext,
  JobHandler,
  QueueSizeRow,
  TransactionClient,
} from './types.js';
import { CompletionWatcher, type JobCompletion, type WaitOptions } from './completion/completion-watcher.js';
import { toJsonText } from './json-text.js';
import { silentLogger, type Logger } from './logger.js';
import type { EnqueueRow, LiveJob, QueueBackend, ScheduleRow } from './port/queue-backend.js';
import { PgBackend } from './postgres/pg-backend.js';
import { MemoryBackend } from './memory/memory-backend.js';
import type { Clock } from './memory/clock.js';
import { positiveInteger, positiveNumber, resolveEntrypoint, validateEntrypointName, type ResolvedEntrypoint } from './worker/entrypoint-config.js';
import { Maintenance } from './maintenance/retention.js';
import { QueueManager, type WorkerOptions } from './worker/worker.js';
import { parseCron } from './scheduler/cron-spec.js';
import { PgqMetrics, type MetricsOptions } from './observability/metrics.js';
import { serveMetrics, type MetricsServer, type MetricsServerOptions } from './observability/metrics-server.js';
import { tracedEnqueue } from './observability/tracing.js';
import { Scheduler, type MissedTickPolicy, type ScheduleDefinition } from './scheduler/scheduler.js';

export interface PgQueuerOptions extends Partial<WorkerOptions> {
  /** Schema holding pgqueuer's tables. Default "pgqueuer". */
  schema?: string;
  /** Where pgqueuer logs (pino-compatible). Silent by default. */
  logger?: Logger;
  /** Largest payload accepted by enqueue, in bytes of JSON. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Prepare statements once per connection (default true); turn off behind old PgBouncer. */
  preparedStatements?: boolean;
  /** Install or upgrade the schema on connect instead of failing when it is missing. */
  install?: boolean;
  /**
   * How long finished jobs (their log entries and results) are kept. Pruned by the workers,
   * one at a time, every `intervalMs`. Default: 7 days, no row limit, every minute.
   */
  retention?: RetentionOptions;
  /**
   * Prometheus metrics (prom-client), on by default in a registry of this instance
   * (`pgq.metrics.registry`); pass `{ registry }` to use yours, or false to turn them off.
   */
  metrics?: MetricsOptions | boolean;
}

export interface RetentionOptions {
  /** Delete log entries older than this; null keeps them regardless of age. */
  maxAgeMs?: number | null;
  /** Keep at most this many log entries (the newest); null for no limit. */
  maxRows?: number | null;
  intervalMs?: number;
}

export interface RunOptions {
  /** Stop gracefully on SIGTERM and SIGINT (a second signal abandons running jobs). Default true. */
  handleSignals?: boolean;
}

const WORKER_DEFAULTS: WorkerOptions = {
  concurrency: 32,
  pollIntervalMs: 1_000,
  heartbeatIntervalMs: 5_000,
  shutdownTimeoutMs: 30_000,
  maxResultBytes: 1024 * 1024,
};
const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
const INT4_MAX = 2 ** 31 - 1;

/**
 * One pgqueuer instance: a producer (enqueue, cancel, inspect) and, once entrypoints are
 * registered and `run()` is called, a worker.
 */
export class PgQueuer {
  private readonly handlers = new Map<string, ResolvedEntrypoint>();
  private readonly schedules = new Map<string, ScheduleDefinition>();
  private readonly workerOptions: WorkerOptions;
  private readonly logger: Logger;
  private readonly maxPayloadBytes: number;
  private readonly retention: Required<RetentionOptions>;
  private worker: QueueManager | undefined;
  private watcher: CompletionWatcher | undefined;
  private stopping: Promise<void> | undefined;
  private readonly metricServers = new Set<MetricsServer>();
  /** Prometheus metrics of this instance; undefined when turned off with `metrics: false`. */
  readonly metrics: PgqMetrics | undefined;
  /**
   * Checks run on every payload enqueued to an entrypoint, installed when a schema file is
   * bound (generated `createClient` / `registerHandlers`), so `pgq.enqueue` cannot bypass it.
   * Each returns the JSON text to store.
   */
  private readonly payloadChecks = new Map<string, PayloadCheck>();

  protected constructor(
    private readonly backend: QueueBackend,
    settings: Settings,
  ) {
    this.logger = settings.logger;
    this.workerOptions = settings.worker;
    this.retention = settings.retention;
    this.maxPayloadBytes = settings.maxPayloadBytes;
    this.metrics = settings.metrics === false ? undefined : new PgqMetrics(settings.metrics, () => backend.queueSize(), settings.logger);
  }

  /**
   * Connects to PostgreSQL (a URL, a `pg` pool config, or `DATABASE_URL` / `PG*` when omitted)
   * and checks that the schema is installed. Rejects within seconds with a `ConnectionError`
   * when the database is unreachable.
   */
  static async connect(connection?: ConnectionInput, options: PgQueuerOptions = {}): Promise<PgQueuer> {
    const config = poolConfig(connection);
    return PgQueuer.open(new pg.Pool(config), true, options);
  }

  /**
   * The same API with no database: jobs live in this process's memory. For unit tests and
   * CI. It cannot enqueue inside a pg transaction (`client`) and cannot share jobs with other
   * processes; everything else behaves as with PostgreSQL. Pass a `TestClock`
   * (pgqueuer/testing) as `clock` to move time by hand for deferred jobs and schedules.
   */
  static inMemory(options: PgQueuerOptions & { clock?: Clock } = {}): PgQueuer {
    const { clock, ...rest } = options;
    return new PgQueuer(new MemoryBackend(clock), resolveSettings(rest));
  }

  /** Uses your `pg` pool. `stop()` leaves the pool open: it is yours to end. */
  static async fromPool(pool: pg.Pool, options: PgQueuerOptions = {}): Promise<PgQueuer> {
    return PgQueuer.open(pool, false, options);
  }

  private static async open(pool: pg.Pool, ownsPool: boolean, options: PgQueuerOptions): Promise<PgQueuer> {
    let settings: Settings;
    let names: SchemaNames;
    try {
      // Bad options fail before any connection is made.
      settings = resolveSettings(options);
      names = schemaNames(options.schema);
    } catch (err) {
      if (ownsPool) await pool.end();
      throw err;
    }
    const driver = new PgDriver(pool, {
      ownsPool,
      preparedStatements: options.preparedStatements ?? true,
      logger: options.logger ?? silentLogger,
    });
    try {
      if (options.install) await install(driver, names);
      else await assertInstalled(driver, names);
      return new PgQueuer(new PgBackend(driver, names), settings);
    } catch (err) {
      await driver.close().catch(() => {});
      throw isConnectionFailure(err) ? connectionError(err, pool.options) : err;
    }
  }

  /** The schema names in use, for tools built on top (the CLI, tests). */
  get schema(): SchemaNames | undefined {
    return this.backend instanceof PgBackend ? this.backend.names : undefined;
  }

  /** This worker's id, as recorded on the jobs it holds. */
  get workerId(): string | undefined {
    return this.worker?.workerId;
  }

  /** Registers the handler for jobs enqueued under `name`. */
  entrypoint<P = unknown>(name: string, handler: JobHandler<P>): this;
  entrypoint<P = unknown>(name: string, options: EntrypointOptions, handler: JobHandler<P>): this;
  entrypoint<P = unknown>(name: string, a: EntrypointOptions | JobHandler<P>, b?: JobHandler<P>): this {
    if (this.worker) throw new StateError(`cannot add entrypoint "${name}": the worker is already running`);
    const [options, handler] = typeof a === 'function' ? [{}, a] : [a ?? {}, b];
    if (this.handlers.has(name)) throw new ConfigError(`entrypoint "${name}" is already registered`);
    this.handlers.set(name, resolveEntrypoint(name, options, handler as JobHandler));
    return this;
  }

  /**
   * Runs `handler` on a cron schedule: 5 fields (minute resolution) or 6 (seconds first), in
   * `options.timezone` (default UTC). Each tick fires once across all workers and runs as a
   * job of entrypoint `name`, so retries, logs and rescue apply; ticks of one schedule never
   * overlap unless `allowOverlap` is set.
   */
  schedule(name: string, expression: string, handler: ScheduleHandler, options: ScheduleOptions = {}): this {
    if (this.worker) throw new StateError(`cannot add schedule "${name}": the worker is already running`);
    if (this.handlers.has(name)) throw new ConfigError(`"${name}" is already registered as an entrypoint or schedule`);
    for (const key of Object.keys(options)) {
      if (!SCHEDULE_OPTIONS.has(key)) throw new ConfigError(`schedule "${name}": unknown option "${key}" (known: ${[...SCHEDULE_OPTIONS].join(', ')})`);
    }
    const missed = options.missed ?? 'once';
    if (missed !== 'once' && missed !== 'skip') throw new ConfigError(`schedule "${name}": missed must be "once" or "skip", got ${JSON.stringify(missed)}`);
    const priority = options.priority ?? 0;
    if (!Number.isInteger(priority)) throw new ConfigError(`schedule "${name}": priority must be an integer`);
    const spec = parseCron(expression, options.timezone);
    const entry = resolveEntrypoint(
      name,
      {
        ...(options.allowOverlap ? {} : { concurrencyLimit: 1 }),
        ...(options.retry ? { retry: options.retry } : {}),
        ...(options.rescueAfterMs ? { rescueAfterMs: options.rescueAfterMs } : {}),
      },
      (job, ctx) => handler({ name, scheduledAt: new Date((job.payload as { scheduledAt: string }).scheduledAt) }, ctx),
    );
    this.handlers.set(name, entry);
    this.schedules.set(name, { name, spec, missed, priority });
    return this;
  }

  /** Enqueues one job and returns its id. */
  async enqueue(entrypoint: string, payload: unknown, options: EnqueueOptions = {}): Promise<number> {
    const [id] = await this.enqueueItems([{ ...options, entrypoint, payload }], options.client, () => 'payload');
    return id!;
  }

  /** Enqueues many jobs in one statement, all or nothing. Ids come back in input order. */
  async enqueueMany(items: readonly EnqueueManyItem[], options: { client?: TransactionClient } = {}): Promise<number[]> {
    if (!Array.isArray(items)) throw new ConfigError('enqueueMany expects an array of { entrypoint, payload, ...options }');
    return this.enqueueItems(items, options.client, (i) => `jobs[${i}].payload`);
  }

  /**
   * Serves this instance's metrics for Prometheus on `http://host:port/metrics` (host
   * 127.0.0.1 unless told otherwise). Closed by `stop()`, or by the returned handle.
   */
  async metricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
    this.assertOpen();
    if (!this.metrics) throw new ConfigError('metrics are turned off for this instance (metrics: false)');
    const server = await serveMetrics(this.metrics.registry, options);
    this.metricServers.add(server);
    return {
      url: server.url,
      port: server.port,
      close: async () => {
        this.metricServers.delete(server);
        await server.close();
      },
    };
  }

  /**
   * Cancels jobs: queued and deferred ones are removed (logged as canceled); running ones have
   * their `ctx.signal` aborted. Returns the ids that were found.
   */
  async cancel(ids: readonly number[]): Promise<number[]> {
    this.assertOpen();
    const found = await this.backend.cancel(ids.map((id) => jobId(id)));
    this.metrics?.canceled(found.filter((j) => !j.running).map((j) => j.entrypoint));
    return found.map((j) => j.id);
  }

  /** Every schedule in the database (also ones no running worker has any more). */
  async listSchedules(): Promise<ScheduleRow[]> {
    this.assertOpen();
    return (await this.backend.readSchedules(null)).rows;
  }

  /** Live jobs (scheduled, queued, running) of one entrypoint, oldest first. */
  async listJobs(entrypoint: string, options: { limit?: number } = {}): Promise<LiveJob[]> {
    this.assertOpen();
    return this.backend.listJobs(entrypoint, options.limit ?? 1_000);
  }

  /**
   * @internal For pgqueuer/testing's drain(): true when this worker holds nothing and no job
   * of its entrypoints, and no tick of its schedules, is runnable now.
   */
  async isDrained(): Promise<boolean> {
    if (!this.worker?.isRunning || !this.worker.isIdle) return false;
    if ((await this.backend.pendingCount([...this.handlers.keys()])) > 0) return false;
    if (this.schedules.size > 0) {
      const { rows, dbNow } = await this.backend.readSchedules([...this.schedules.keys()]);
      if (rows.some((r) => r.nextRun.getTime() <= dbNow.getTime())) return false;
    }
    return this.worker.isIdle;
  }

  /** Whether `run()` is in progress. */
  get isRunning(): boolean {
    return this.worker?.isRunning ?? false;
  }

  /** Live jobs counted per entrypoint, status and priority. */
  async queueSize(): Promise<QueueSizeRow[]> {
    this.assertOpen();
    return this.backend.queueSize();
  }

  /**
   * Resolves `{ id, status, result?, error? }` once the job finished (successful, exception or
   * canceled), woken by NOTIFY with polling as the fallback. Rejects with `WaitTimeoutError`
   * after `timeoutMs` (the job is left alone) and `JobNotFoundError` for an unknown id.
   */
  waitFor(id: number, options: WaitOptions = {}): Promise<JobCompletion> {
    this.assertOpen();
    return this.completions.waitFor(jobId(id), options);
  }

  /** `waitFor` for many ids over the same connection, resolved in the order given. */
  waitForAll(ids: readonly number[], options: WaitOptions = {}): Promise<JobCompletion[]> {
    this.assertOpen();
    return this.completions.waitForAll(ids.map(jobId), options);
  }

  /** The instance's completion watcher (one LISTEN connection for all waits), created on first use. */
  get completions(): CompletionWatcher {
    this.watcher ??= new CompletionWatcher(this.backend, this.workerOptions.pollIntervalMs, this.logger);
    return this.watcher;
  }

  /** Jobs seen by this worker whose producer had a different schema, per entrypoint. */
  readonly fingerprintMismatches = new Map<string, number>();

  /** @internal Called by bound handlers when a job's schema fingerprint differs from the worker's. */
  noteFingerprintMismatch(entrypoint: string): void {
    this.fingerprintMismatches.set(entrypoint, (this.fingerprintMismatches.get(entrypoint) ?? 0) + 1);
  }

  /** @internal Used by bound schemas: validate and encode every payload of `entrypoint`. */
  setPayloadCheck(entrypoint: string, check: PayloadCheck): void {
    this.payloadChecks.set(entrypoint, check);
  }

  /**
   * Runs the worker until `stop()` (or SIGTERM/SIGINT). Resolves once stopped: running
   * handlers finished or gave their jobs back, and connections are closed.
   */
  async run(options: RunOptions = {}): Promise<void> {
    this.assertOpen();
    if (this.worker) throw new StateError('run() was already called on this instance');
    const scheduler = this.schedules.size > 0 ? new Scheduler(this.backend, this.schedules, this.logger) : undefined;
    const { intervalMs, ...policy } = this.retention;
    const maintenance = new Maintenance(this.backend, policy, intervalMs, this.logger);
    this.worker = new QueueManager(this.backend, this.handlers, this.workerOptions, this.logger, {
      scheduler,
      maintenance,
      instruments: this.metrics,
    });
    const onSignal = (signal: NodeJS.Signals): void => {
      if (!this.stopping) {
        this.logger.info({ signal }, 'pgqueuer: stopping gracefully (send again to abandon running jobs)');
        void this.stop();
      } else {
        this.worker?.abandonRunning();
      }
    };
    const handleSignals = options.handleSignals ?? true;
    if (handleSignals) {
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    }
    try {
      await this.worker.run();
      await this.stopping;
    } catch (err) {
      await this.stop();
      throw err;
    } finally {
      if (handleSignals) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
    }
  }

  /** Stops the worker (if running) and closes the connections this instance opened. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        await this.worker?.stop();
      } finally {
        this.metrics?.detach();
        await Promise.all([...this.metricServers].map((server) => server.close()));
        await this.watcher?.close();
        await this.backend.close();
      }
    })();
    return this.stopping;
  }

  private async enqueueItems(
    items: readonly EnqueueManyItem[],
    client: TransactionClient | undefined,
    what: (index: number) => string,
  ): Promise<number[]> {
    this.assertOpen();
    const entrypoints = items.map((item) => item?.entrypoint);
    return tracedEnqueue(
      entrypoints,
      async (traceHeaders) => {
        const rows = items.map((item, i) => {
          try {
            return this.toRow(item, what(i), traceHeaders);
          } catch (err) {
            if (err instanceof ValidationError) this.metrics?.validationFailed(item.entrypoint, err.what, 'enqueue');
            throw err;
          }
        });
        const ids = await this.backend.enqueue(rows, client);
        this.metrics?.enqueued(entrypoints);
        return ids;
      },
    );
  }

  /** `traceHeaders`: the producer span's context, stored with the job unless its headers set the same keys. */
  private toRow(item: EnqueueManyItem, what: string, traceHeaders: Record<string, string>): EnqueueRow {
    validateEntrypointName(item.entrypoint);
    const priority = item.priority ?? 0;
    if (!Number.isInteger(priority) || Math.abs(priority) > INT4_MAX) {
      throw new ConfigError(`priority must be an integer between ${-INT4_MAX} and ${INT4_MAX}, got ${JSON.stringify(priority)}`);
    }
    let executeAt: string | null = null;
    let delayMs: number | null = null;
    const after = item.executeAfter;
    if (after instanceof Date) {
      if (Number.isNaN(after.getTime())) throw new ConfigError('executeAfter is an invalid Date');
      executeAt = after.toISOString();
    } else if (after !== undefined) {
      if (typeof after !== 'number' || !Number.isFinite(after) || after < 0) {
        throw new ConfigError(`executeAfter must be a Date or milliseconds from now (≥ 0), got ${JSON.stringify(after)}`);
      }
      delayMs = after;
    }
    const dedupeKey = item.dedupeKey ?? null;
    if (dedupeKey !== null && (typeof dedupeKey !== 'string' || dedupeKey.length === 0 || dedupeKey.includes('\u0000'))) {
      throw new ConfigError(`dedupeKey must be a non-empty string, got ${JSON.stringify(dedupeKey)}`);
    }
    let headers: string | null = null;
    if (item.headers !== undefined) {
      if (item.headers === null || typeof item.headers !== 'object' || Array.isArray(item.headers)) {
        throw new ConfigError('headers must be a plain object');
      }
    }
    if (item.headers !== undefined || Object.keys(traceHeaders).length > 0) {
      headers = toJsonText({ ...traceHeaders, ...item.headers }, 'headers', this.maxPayloadBytes);
    }
    const check = this.payloadChecks.get(item.entrypoint);
    return {
      entrypoint: item.entrypoint,
      priority,
      payload: check ? check(item.payload, what, this.maxPayloadBytes) : toJsonText(item.payload ?? null, what, this.maxPayloadBytes),
      headers,
      executeAt,
      delayMs,
      dedupeKey,
    };
  }

  private assertOpen(): void {
    if (this.stopping) throw new StateError('this PgQueuer instance was stopped; create a new one');
  }
}

export interface ScheduleOptions {
  /** IANA timezone the expression is read in. Default UTC. */
  timezone?: string;
  /** Ticks missed while no worker ran: run the latest once (default) or skip them. */
  missed?: MissedTickPolicy;
  /** Let a tick start while the previous one still runs. Default false. */
  allowOverlap?: boolean;
  retry?: EntrypointOptions['retry'];
  rescueAfterMs?: number;
  priority?: number;
}

/** What a schedule's handler gets for each tick. */
export interface ScheduleTick {
  name: string;
  /** The tick's time by the schedule (not when the handler started). */
  scheduledAt: Date;
}

export type ScheduleHandler = (tick: ScheduleTick, ctx: JobContext) => unknown;

const SCHEDULE_OPTIONS = new Set(['timezone', 'missed', 'allowOverlap', 'retry', 'rescueAfterMs', 'priority']);

/** Validates a payload and returns the JSON text to store; throws to refuse it. */
export type PayloadCheck = (payload: unknown, what: string, maxBytes: number) => string;

/** Every option checked and defaulted, once, before anything connects. */
interface Settings {
  logger: Logger;
  worker: WorkerOptions;
  retention: Required<RetentionOptions>;
  maxPayloadBytes: number;
  metrics: MetricsOptions | false;
}

function resolveSettings(options: PgQueuerOptions): Settings {
  return {
    logger: options.logger ?? silentLogger,
    worker: resolveWorkerOptions(options),
    retention: resolveRetention(options.retention ?? {}),
    maxPayloadBytes: options.maxPayloadBytes === undefined ? DEFAULT_MAX_PAYLOAD_BYTES : positiveInteger(options.maxPayloadBytes, 'maxPayloadBytes'),
    metrics: resolveMetrics(options.metrics),
  };
}

function resolveMetrics(metrics: PgQueuerOptions['metrics']): MetricsOptions | false {
  if (metrics === false) return false;
  if (metrics === undefined || metrics === true) return {};
  if (typeof metrics !== 'object' || metrics === null) throw new ConfigError('metrics must be false or { registry }');
  for (const key of Object.keys(metrics)) {
    if (key !== 'registry') throw new ConfigError(`metrics: unknown option "${key}" (known: registry)`);
  }
  if (metrics.registry !== undefined && typeof (metrics.registry as { metrics?: unknown }).metrics !== 'function') {
    throw new ConfigError('metrics.registry must be a prom-client Registry');
  }
  return metrics;
}

const RETENTION_DEFAULTS: Required<RetentionOptions> = { maxAgeMs: 7 * 24 * 3_600_000, maxRows: null, intervalMs: 60_000 };

function resolveRetention(options: RetentionOptions): Required<RetentionOptions> {
  const resolved = { ...RETENTION_DEFAULTS };
  for (const key of Object.keys(options)) {
    if (!(key in RETENTION_DEFAULTS)) throw new ConfigError(`retention: unknown option "${key}" (known: maxAgeMs, maxRows, intervalMs)`);
  }
  if (options.maxAgeMs !== undefined) resolved.maxAgeMs = options.maxAgeMs === null ? null : positiveNumber(options.maxAgeMs, 'retention.maxAgeMs');
  if (options.maxRows !== undefined) resolved.maxRows = options.maxRows === null ? null : positiveInteger(options.maxRows, 'retention.maxRows');
  if (options.intervalMs !== undefined) resolved.intervalMs = positiveNumber(options.intervalMs, 'retention.intervalMs');
  return resolved;
}

function resolveWorkerOptions(options: PgQueuerOptions): WorkerOptions {
  const resolved = { ...WORKER_DEFAULTS };
  for (const key of Object.keys(WORKER_DEFAULTS) as Array<keyof WorkerOptions>) {
    const value = options[key];
    if (value !== undefined) resolved[key] = key === 'concurrency' ? positiveInteger(value, key) : positiveNumber(value, key);
  }
  return resolved;
}

function jobId(id: unknown): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
    throw new ConfigError(`job ids are positive integers, got ${JSON.stringify(id)}`);
  }
  return id;
}
