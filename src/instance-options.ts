/**
 * What a PgQueuer instance is configured with (`PgQueuer.connect`, `fromPool`, `inMemory`):
 * its worker, retention and metrics, and what `run()` and `health()` take and give.
 */
import type { ClientConfig } from 'pg';
import type { Registry } from 'prom-client';
import type { Logger } from './types.js';

/** The worker's own settings (all optional in `PgQueuerOptions`). */
export interface WorkerOptions {
  /** Handlers running at once in this worker. Default 32. */
  concurrency: number;
  /** Fallback poll when no notification arrives. Default 1,000 ms. */
  pollIntervalMs: number;
  /** How often running jobs' heartbeats are refreshed and stale jobs rescued. Default 5,000 ms. */
  heartbeatIntervalMs: number;
  /** How long `stop()` waits for running handlers before giving their jobs back. Default 30,000 ms. */
  shutdownTimeoutMs: number;
  /** Largest stored handler result, in bytes of JSON. Default 1 MiB. */
  maxResultBytes: number;
  /**
   * How long `run()` keeps trying a database it cannot reach at start (a deploy racing a
   * database restart), with capped, jittered backoff and a warning per attempt, before it
   * rejects with a `ConnectionError`. A running worker rides out outages without a limit.
   * Default 30,000 ms.
   */
  startupRetryMs: number;
}

export interface RetentionOptions {
  /** Delete log entries older than this; null keeps them regardless of age. */
  maxAgeMs?: number | null;
  /** Keep at most this many log entries (the newest); null for no limit. */
  maxRows?: number | null;
  intervalMs?: number;
}

export interface MetricsOptions {
  /**
   * Register pgqueuer's metrics here (e.g. prom-client's default `register`, to serve them with
   * your own). Default: a registry of this instance, `pgq.metrics.registry`. Instances sharing a
   * registry share its metrics, so both a producer and a worker in one process can use it.
   */
  registry?: Registry;
}

export interface PgQueuerOptions extends Partial<WorkerOptions> {
  /** Schema holding pgqueuer's tables. Default "pgqueuer". */
  schema?: string;
  /** Where pgqueuer logs (pino-compatible). Silent by default. */
  logger?: Logger;
  /** Largest payload accepted by enqueue, in bytes of JSON. Default 1 MiB. */
  maxPayloadBytes?: number;
  /**
   * Prepare statements once per connection. Default true, or `PGQ_PREPARED_STATEMENTS` when set
   * (`false`/`0`/`off`/`no`). Turn off behind a pooler that hands each transaction to another
   * server connection (PgBouncer with `pool_mode=transaction`), which otherwise refuses them
   * with `PreparedStatementsUnsupportedError`.
   */
  preparedStatements?: boolean;
  /**
   * A direct connection to PostgreSQL (a URL or a `pg` client configuration) used only to
   * LISTEN, by workers and by `waitFor`. Default `PGQ_LISTEN_URL` when set, else the main
   * connection. Set it when the main connection goes through PgBouncer in transaction mode:
   * notifications sent to a pooled session never arrive, and without this the worker finds
   * jobs by polling (it warns once, and polls every 200 ms until notifications arrive).
   */
  listenConnection?: string | ClientConfig;
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

/** What `pgq.health()` and `/readyz` report: whether this process should be sent work. */
export interface HealthReport {
  ready: boolean;
  /** The worker's state; `starting` until its first claim can go out. */
  state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';
  checks: {
    /** Started and claiming (not starting, stopping or stopped). */
    claiming: boolean;
    /** LISTEN is active, so new jobs wake this worker at once. */
    listening: boolean;
    /** The worker's latest claim or heartbeat reached the database. */
    database: boolean;
  };
  /** Why it is not ready, when it is not. */
  reason?: string;
}

export interface RunOptions {
  /** Stop gracefully on SIGTERM and SIGINT (a second signal abandons running jobs). Default true. */
  handleSignals?: boolean;
}
