/**
 * The options of an entrypoint (`pgq.entrypoint()`, and a job of the schema file), in a module
 * that imports nothing: the schema's declarations need them, and `pgq generate`'s type checker
 * reads only those (not pg's or Node's, which would take it seconds to parse).
 */

export interface RetryPolicy {
  /** Total runs, the first included. 1 means never retry. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles each attempt. */
  initialDelayMs?: number;
  /** The delay never grows past this. */
  maxDelayMs?: number;
}

export interface RateLimit {
  /** Long-run starts per second for this entrypoint, all workers together. */
  perSecond: number;
  /** Starts allowed at once after a quiet spell. Default: `perSecond` (one second's worth). */
  burst?: number;
}

export interface EntrypointOptions {
  /** Max jobs of this entrypoint running at once across all workers. */
  concurrencyLimit?: number;
  /** At most one job of this entrypoint runs at a time, across all workers. */
  serializedDispatch?: boolean;
  rateLimit?: RateLimit;
  retry?: RetryPolicy;
  /** A running job whose heartbeat is older than this goes back to the queue. Default 30 s. */
  rescueAfterMs?: number;
  /**
   * An attempt running longer is aborted (`ctx.signal`, reason `JobTimeoutSignal`) and fails
   * with a `JobTimeoutError`, retried by the policy like any failure. Default: no limit.
   */
  timeoutMs?: number;
  /**
   * What becomes of a job that fails for good: `'log'` (default) ends it as `exception` in the
   * log; `'hold'` keeps it as `held`, with its payload and error, until requeued or deleted.
   */
  onFailure?: 'log' | 'hold';
  /**
   * A job whose handler asked to run later (`RetryLaterError`) this many times fails instead
   * of snoozing again. Default 100.
   */
  maxSnoozes?: number;
  /**
   * Jobs of this entrypoint enqueued with `after`: when a parent fails (ends `exception` or
   * `canceled`), `'cancel'` the job (default) or `'run'` it anyway. Stamped on the job when it is
   * enqueued by an instance that knows the entrypoint (registered, or from the schema file).
   */
  onParentFailure?: 'cancel' | 'run';
  /**
   * At most this many jobs of one group (EnqueueOptions.group) run at once, across all
   * workers, and the groups take turns: one tenant's backlog cannot starve another's. With 1,
   * each group's jobs run one at a time in order (priority, then enqueue order). Jobs without
   * a group are not limited by it.
   */
  groupConcurrency?: number;
}
