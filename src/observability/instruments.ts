import type { AttemptOutcome } from '../port/rows.js';

/**
 * What the engine reports as it works, for metrics. The engine calls these and knows nothing
 * of Prometheus; `PgqMetrics` implements them with prom-client, `noInstruments` ignores them.
 */
export interface Instruments {
  /** Jobs this process enqueued (after the insert committed or, in a transaction, was sent). */
  enqueued(entrypoints: readonly string[]): void;
  /** A payload or result was rejected by its job's schema. */
  validationFailed(entrypoint: string, what: 'payload' | 'result', where: 'enqueue' | 'worker'): void;
  /**
   * A job's payload had a version this worker does not know and did not fit its schema: it
   * was given back for a worker that knows it (or, past its bound, failed).
   */
  unknownVersion(entrypoint: string): void;
  /** A handler started, `queuedMs` after the job became runnable. */
  started(entrypoint: string, queuedMs: number): void;
  /**
   * Where to read how many handlers run now, per entrypoint, when metrics are read: counted
   * at scrape time rather than at every start and end. Returns a function that stops it.
   */
  watchInFlight(source: () => ReadonlyMap<string, number>): () => void;
  /** An outcome the database accepted: counted once, by the process that recorded it. */
  recorded(entrypoint: string, outcome: AttemptOutcome, durationMs: number): void;
  /** Queued or deferred jobs this process canceled (running ones are counted when they end). */
  canceled(entrypoints: readonly string[]): void;
  /** Jobs this process's rescuer returned to the queue from lost workers. */
  rescued(counts: ReadonlyMap<string, number>): void;
  /** A claim found runnable jobs of a rate-limited entrypoint held back by its token bucket. */
  rateLimited(entrypoint: string): void;
}

const ignore = (): void => {};

export const noInstruments: Instruments = {
  enqueued: ignore,
  validationFailed: ignore,
  unknownVersion: ignore,
  started: ignore,
  watchInFlight: () => ignore,
  recorded: ignore,
  canceled: ignore,
  rescued: ignore,
  rateLimited: ignore,
};
