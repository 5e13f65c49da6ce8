import pg from 'pg';
import { connectionError, isConnectionFailure, poolConfig, type ConnectionInput } from './db/connection.js';
import { assertInstalled, install } from './db/migrations/runner.js';
import { PgDriver } from './db/pg-driver.js';
import { schemaNames, type SchemaNames } from './db/schema-names.js';
import { ConfigError, StateError } from './errors.js';
import type {
  EnqueueManyItem,
  EnqueueOptions,
  EntrypointOptions,
  JobHandler,
  QueueSizeRow,
  TransactionClient,
} from './job.js';
import { toJsonText } from './json-text.js';
import { silentLogger, type Logger } from './logger.js';
import type { EnqueueRow, QueueBackend } from './queue/backend.js';
import { PgBackend } from './queue/pg-backend.js';
import { positiveInteger, positiveNumber, resolveEntrypoint, validateEntrypointName, type ResolvedEntrypoint } from './worker/entrypoint-config.js';
import { QueueManager, type WorkerOptions } from './worker/queue-manager.js';

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
  private readonly workerOptions: WorkerOptions;
  private readonly logger: Logger;
  private readonly maxPayloadBytes: number;
  private worker: QueueManager | undefined;
  private stopping: Promise<void> | undefined;

  protected constructor(
    private readonly backend: QueueBackend,
    options: PgQueuerOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.workerOptions = resolveWorkerOptions(options);
    this.maxPayloadBytes = options.maxPayloadBytes === undefined
      ? DEFAULT_MAX_PAYLOAD_BYTES
      : positiveInteger(options.maxPayloadBytes, 'maxPayloadBytes');
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

  /** Uses your `pg` pool. `stop()` leaves the pool open: it is yours to end. */
  static async fromPool(pool: pg.Pool, options: PgQueuerOptions = {}): Promise<PgQueuer> {
    return PgQueuer.open(pool, false, options);
  }

  private static async open(pool: pg.Pool, ownsPool: boolean, options: PgQueuerOptions): Promise<PgQueuer> {
    const names = schemaNames(options.schema);
    const driver = new PgDriver(pool, {
      ownsPool,
      preparedStatements: options.preparedStatements ?? true,
      logger: options.logger ?? silentLogger,
    });
    try {
      if (options.install) await install(driver, names);
      else await assertInstalled(driver, names);
      return new PgQueuer(new PgBackend(driver, names), options);
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

  /** Enqueues one job and returns its id. */
  async enqueue(entrypoint: string, payload: unknown, options: EnqueueOptions = {}): Promise<number> {
    const [id] = await this.enqueueRows([this.toRow({ ...options, entrypoint, payload }, 'payload')], options.client);
    return id!;
  }

  /** Enqueues many jobs in one statement, all or nothing. Ids come back in input order. */
  async enqueueMany(items: readonly EnqueueManyItem[], options: { client?: TransactionClient } = {}): Promise<number[]> {
    if (!Array.isArray(items)) throw new ConfigError('enqueueMany expects an array of { entrypoint, payload, ...options }');
    const rows = items.map((item, i) => this.toRow(item, `jobs[${i}].payload`));
    return this.enqueueRows(rows, options.client);
  }

  /**
   * Cancels jobs: queued and deferred ones are removed (logged as canceled); running ones have
   * their `ctx.signal` aborted. Returns the ids that were found.
   */
  async cancel(ids: readonly number[]): Promise<number[]> {
    this.assertOpen();
    return this.backend.cancel(ids.map((id) => jobId(id)));
  }

  /** Live jobs counted per entrypoint, status and priority. */
  async queueSize(): Promise<QueueSizeRow[]> {
    this.assertOpen();
    return this.backend.queueSize();
  }

  /**
   * Runs the worker until `stop()` (or SIGTERM/SIGINT). Resolves once stopped: running
   * handlers finished or gave their jobs back, and connections are closed.
   */
  async run(options: RunOptions = {}): Promise<void> {
    this.assertOpen();
    if (this.worker) throw new StateError('run() was already called on this instance');
    this.worker = new QueueManager(this.backend, this.handlers, this.workerOptions, this.logger);
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
        await this.backend.close();
      }
    })();
    return this.stopping;
  }

  private async enqueueRows(rows: EnqueueRow[], client: TransactionClient | undefined): Promise<number[]> {
    this.assertOpen();
    return this.backend.enqueue(rows, client);
  }

  private toRow(item: EnqueueManyItem, what: string): EnqueueRow {
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
      headers = toJsonText(item.headers, 'headers', this.maxPayloadBytes);
    }
    return {
      entrypoint: item.entrypoint,
      priority,
      payload: toJsonText(item.payload ?? null, what, this.maxPayloadBytes),
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
