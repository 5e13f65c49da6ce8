import pg from 'pg';
import { CompletionWatcher } from './completion/completion-watcher.js';
import { encodeJobs, type PayloadCheck } from './encode.js';
import { ConfigError, StateError, ValidationError } from './errors.js';
import { attachInternals } from './internals.js';
import { shown } from './shown-value.js';
import { jobId, jobIds, resolveWaitOptions } from './job-arguments.js';
import { MemoryBackend } from './memory/memory-backend.js';
import { QueueAdmin } from './queue-admin.js';
import { noInstruments } from './observability/instruments.js';
import { PgqMetrics } from './observability/metrics.js';
import { serveMetrics, type MetricsServer, type MetricsServerOptions, type ServedRoutes } from './observability/metrics-server.js';
import { judgeReadiness } from './observability/readiness.js';
import { tracedEnqueue } from './observability/tracing.js';
import { resolveEntrypoint, resolveSchedule, resolveSettings, type ResolvedEntrypoint, type ResolvedSchedule, type Settings } from './options.js';
import type { QueueBackend } from './port/queue-backend.js';
import type { TickPayload } from './port/system-records.js';
import { openPostgres, type ConnectionInput } from './postgres/open.js';
import { PgBackend } from './postgres/pg-backend.js';
import type {
  Clock,
  EnqueueManyItem,
  EnqueueOptions,
  EntrypointOptions,
  HealthReport,
  JobCompletion,
  JobHandler,
  PgQueuerOptions,
  RunOptions,
  ScheduleHandler,
  ScheduleOptions,
  TransactionClient,
  WaitOptions,
} from './types.js';
import { assembleWorker } from './worker/assemble-worker.js';
import type { Worker } from './worker/worker.js';

/**
 * One pgqueuer instance: a producer (enqueue, cancel, inspect) and, once entrypoints are
 * registered and `run()` is called, a worker.
 */
export class PgQueuer extends QueueAdmin {
  private readonly handlers = new Map<string, ResolvedEntrypoint>();
  private readonly schedules = new Map<string, ResolvedSchedule>();
  private readonly payloadChecks = new Map<string, PayloadCheck>();
  private readonly mismatches = new Map<string, number>();
  private readonly metricServers = new Set<MetricsServer>();
  private worker: Worker | undefined;
  private watcher: CompletionWatcher | undefined;
  private stopping: Promise<void> | undefined;
  /** Prometheus metrics of this instance; undefined when turned off with `metrics: false`. */
  readonly metrics: PgqMetrics | undefined;

  protected constructor(
    backend: QueueBackend,
    private readonly settings: Settings,
  ) {
    super(backend);
    this.metrics = settings.metrics === false ? undefined : new PgqMetrics(settings.metrics, () => backend.queueSize(), settings.logger);
    attachInternals(this, {
      setPayloadCheck: (entrypoint, check) => this.payloadChecks.set(entrypoint, check),
      noteFingerprintMismatch: (entrypoint) => this.mismatches.set(entrypoint, (this.mismatches.get(entrypoint) ?? 0) + 1),
      isDrained: () => this.isDrained(),
      payloadVersions: (query) => backend.payloadVersions(query),
      payloadSamples: (query) => backend.payloadSamples(query),
      postgres: () => (backend instanceof PgBackend ? { db: backend.driver, names: backend.names } : null),
    });
  }

  /**
   * Connects to PostgreSQL (a URL, a `pg` pool config, or `DATABASE_URL` / `PG*` when omitted)
   * and checks that the schema is installed. Rejects within seconds with a `ConnectionError`
   * when the database is unreachable.
   */
  static async connect(connection?: ConnectionInput, options: PgQueuerOptions = {}): Promise<PgQueuer> {
    const settings = resolveSettings(options); // bad options fail before any connection is made
    return new PgQueuer(await openPostgres(connection, options), settings);
  }

  /** Uses your `pg` pool. `stop()` leaves the pool open: it is yours to end. */
  static async fromPool(pool: pg.Pool, options: PgQueuerOptions = {}): Promise<PgQueuer> {
    const settings = resolveSettings(options);
    return new PgQueuer(await openPostgres(pool, options), settings);
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

  /** This worker's id, as recorded on the jobs it holds. */
  get workerId(): string | undefined {
    return this.worker?.workerId;
  }

  /** Whether `run()` is in progress. */
  get isRunning(): boolean {
    return this.worker?.isRunning ?? false;
  }

  /** Jobs seen by this worker whose producer had a different schema, counted per entrypoint. */
  get fingerprintMismatches(): ReadonlyMap<string, number> {
    return new Map(this.mismatches);
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
    const schedule = resolveSchedule(name, expression, options);
    const entry = resolveEntrypoint(name, schedule.entrypoint, (job, ctx) =>
      handler({ name, scheduledAt: new Date((job.payload as TickPayload).scheduledAt) }, ctx),
    );
    this.handlers.set(name, entry);
    this.schedules.set(name, schedule);
    return this;
  }

  /** Enqueues one job and returns its id. */
  async enqueue(entrypoint: string, payload: unknown, options: EnqueueOptions = {}): Promise<number> {
    if (options === null || typeof options !== 'object') throw new ConfigError(`enqueue: options must be an object, got ${shown(options)}`);
    const { client, ...rest } = options;
    const [id] = await this.write([{ ...rest, entrypoint, payload }], client, () => 'payload');
    return id!;
  }

  /** Enqueues many jobs in one statement, all or nothing. Ids come back in input order. */
  async enqueueMany(items: readonly EnqueueManyItem[], options: { client?: TransactionClient } = {}): Promise<number[]> {
    if (!Array.isArray(items)) throw new ConfigError('enqueueMany expects an array of { entrypoint, payload, ...options }');
    return this.write(items, options.client, (i) => `jobs[${i}].payload`);
  }

  /**
   * Cancels jobs: queued and deferred ones are removed (logged as canceled); running ones have
   * their `ctx.signal` aborted. Returns the ids that were found.
   */
  async cancel(ids: readonly number[]): Promise<number[]> {
    this.assertOpen();
    const found = await this.backend.cancel(jobIds(ids, 'cancel'));
    this.metrics?.canceled(found.filter((j) => !j.running).map((j) => j.entrypoint));
    return found.map((j) => j.id);
  }

  /**
   * Resolves `{ id, status, result?, error? }` once the job finished (successful, exception or
   * canceled) or is held, woken by NOTIFY with polling as the fallback. Rejects with `WaitTimeoutError`
   * after `timeoutMs` (the job is left alone) and `JobNotFoundError` for an unknown id. A lookup
   * that fails for a lasting reason (`PrivilegeError`: the role may not read the job log;
   * `SchemaNotInstalledError`) rejects at once; a lost connection is retried at each poll.
   */
  waitFor(id: number, options: WaitOptions = {}): Promise<JobCompletion> {
    this.assertOpen();
    return this.completions().waitFor(jobId(id), resolveWaitOptions(options));
  }

  /** `waitFor` for many ids over the same connection, resolved in the order given. */
  waitForAll(ids: readonly number[], options: WaitOptions = {}): Promise<JobCompletion[]> {
    this.assertOpen();
    return this.completions().waitForAll(jobIds(ids, 'waitForAll'), resolveWaitOptions(options));
  }

  /**
   * Serves this instance's metrics for Prometheus on `http://host:port/metrics` (host
   * 127.0.0.1 unless told otherwise). Closed by `stop()`, or by the returned handle.
   */
  async metricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
    this.assertOpen();
    if (!this.metrics) throw new ConfigError('metrics are turned off for this instance (metrics: false)');
    return this.serve({ registry: this.metrics.registry, health: () => this.health() }, options);
  }

  /**
   * Serves only `/healthz` (liveness) and `/readyz` (readiness, see `health()`) on
   * `http://host:port` (host 127.0.0.1 unless told otherwise), for orchestrators. The metrics
   * server answers both too. Closed by `stop()`, or by the returned handle.
   */
  async healthServer(options: Omit<MetricsServerOptions, 'path'>): Promise<MetricsServer> {
    this.assertOpen();
    return this.serve({ health: () => this.health() }, options);
  }

  /** Whether this process should be sent work: its worker runs and claims, hears NOTIFY, reaches the database. */
  health(): HealthReport {
    return judgeReadiness(this.worker?.health());
  }

  private async serve(routes: ServedRoutes, options: MetricsServerOptions): Promise<MetricsServer> {
    const server = await serveMetrics(routes, options);
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
   * Runs the worker until `stop()` (or SIGTERM/SIGINT). Resolves once stopped: running
   * handlers finished or gave their jobs back, and connections are closed. A database that
   * cannot be reached at start is retried for `startupRetryMs` (default 30 s), then run()
   * rejects with a `ConnectionError`.
   */
  async run(options: RunOptions = {}): Promise<void> {
    this.assertOpen();
    if (this.worker) throw new StateError('run() was already called on this instance');
    const worker = (this.worker = assembleWorker(this.backend, this.handlers, this.schedules, this.settings, this.metrics ?? noInstruments));
    const onSignal = (signal: NodeJS.Signals): void => {
      if (!this.stopping) {
        this.settings.logger.info({ signal }, 'pgqueuer: stopping gracefully (send again to abandon running jobs)');
        void this.stop();
      } else {
        worker.abandonRunning();
      }
    };
    const handleSignals = options.handleSignals ?? true;
    if (handleSignals) {
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    }
    try {
      await worker.start();
      await worker.done;
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
        await this.watcher?.stop();
        await this.backend.close();
      }
    })();
    return this.stopping;
  }

  /** Encode everything first (a bad item writes nothing), then write inside the producer's span. */
  private async write(items: readonly EnqueueManyItem[], client: TransactionClient | undefined, pathOf: (i: number) => string): Promise<number[]> {
    this.assertOpen();
    let rows;
    try {
      rows = encodeJobs(
        items,
        {
          maxPayloadBytes: this.settings.maxPayloadBytes,
          payloadCheck: (e) => this.payloadChecks.get(e),
          parentFailure: (e) => this.handlers.get(e)?.onParentFailure,
        },
        pathOf,
      );
    } catch (err) {
      if (err instanceof ValidationError) this.metrics?.validationFailed(err.entrypoint, err.what, 'enqueue');
      throw err;
    }
    const ids = await tracedEnqueue(rows, (traced) => this.backend.enqueue(traced, client));
    this.metrics?.enqueued(rows.map((r) => r.entrypoint));
    return ids;
  }

  private completions(): CompletionWatcher {
    this.watcher ??= new CompletionWatcher(this.backend, this.settings.worker.pollIntervalMs, this.settings.logger);
    return this.watcher;
  }

  private async isDrained(): Promise<boolean> {
    const worker = this.worker;
    if (!worker?.isRunning || !worker.isIdle) return false;
    if ((await this.backend.pendingCount([...this.handlers.keys()])) > 0) return false;
    if (this.schedules.size > 0) {
      const { rows, dbNow } = await this.backend.readSchedules([...this.schedules.keys()]);
      if (rows.some((r) => r.nextRun.getTime() <= dbNow.getTime())) return false;
    }
    return worker.isIdle;
  }

  protected assertOpen(): void {
    if (this.stopping) throw new StateError('this PgQueuer instance was stopped; create a new one');
  }
}
