import type pg from 'pg';
import type { ScenarioId } from '../options.js';

/** The payload every benchmark job carries. `seq` identifies a job in the latency scenario. */
export interface BenchPayload {
  seq?: number;
}

/** A producer: what a web request or a script uses to put jobs in the queue. */
export interface Producer {
  /** Enqueues all of `payloads` with the system's batch API (one call). */
  enqueueBatch(payloads: readonly BenchPayload[]): Promise<void>;
  /** Enqueues one job with the system's single-job API. */
  enqueueOne(payload: BenchPayload): Promise<void>;
  close(): Promise<void>;
}

/** A running worker, started on a queue named `noop` whose handler calls `onJob`. */
export interface RunningWorker {
  /** Jobs still queued or running (for confirming that a drain really finished). */
  unfinished(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * One job queue under test. Every system implements the same small surface, so a scenario
 * never knows which library it is measuring. Setup (`install`, `seed`) is untimed.
 */
export interface System {
  /** Name used on the command line (`--peers`) and in results. */
  readonly id: string;
  /** Column heading in the printed table. */
  readonly label: string;
  /**
   * Systems of one family share a database layout, so a seeded template database made for
   * one (e.g. graphile-worker) serves the other (graphile-worker tuned).
   */
  readonly family: string;
  /** What the worker is configured with, for the report: concurrency, batch sizes, polling. */
  readonly settings: string;
  /**
   * Set when this system's producer is identical to another's (the tuning is worker-side
   * only): the enqueue scenario then measures that one and reports its figures for both.
   */
  readonly sameProducerAs?: string;
  /**
   * Set for a worker that learns of new jobs only by polling (no LISTEN/NOTIFY), to its polling
   * interval: the latency scenario then spreads enqueues at random over one interval, as real
   * arrivals are, instead of always enqueueing at the same point of the worker's sleep.
   */
  readonly pollOnlyIntervalMs?: number;
  /**
   * Scenarios not run for this system, each with the reason the report prints: set only where a
   * measurement could not say anything (a figure fixed by a sleep, not by the queue's work).
   */
  readonly skips?: Partial<Record<ScenarioId, string>>;
  /**
   * Set for a system whose jobs live outside PostgreSQL (BullMQ: Redis). The harness still makes
   * a PostgreSQL database per measurement, whose name then names the system's own namespace
   * (BullMQ: the queue), and calls these hooks where it clones and drops that database.
   */
  readonly store?: ExternalStore;
  /** Creates the system's schema in an empty database. */
  install(url: string): Promise<void>;
  /**
   * Inserts `count` no-op jobs with one set-based SQL statement shaped like the system's own
   * insert (same table, same defaults), or for a system with a `store`, its equivalent there.
   * Only for setting up backlogs of up to a million jobs, where going through the client API
   * would dominate the run time. `client` is connected to the database at `url`.
   */
  seed(client: pg.Client, count: number, url: string): Promise<void>;
  producer(url: string): Promise<Producer>;
  /** Starts a worker; `onJob` runs synchronously at the start of every handler call. */
  startWorker(url: string, onJob: (payload: BenchPayload) => void): Promise<RunningWorker>;
}

/** Where a system with its own server keeps its jobs, seen from the harness (the orchestrator). */
export interface ExternalStore {
  /** The server and the settings that bear on the figures, for the report; rejects with the reason when none answers. */
  describe(): Promise<StoreInfo>;
  /** Gives the database just cloned from template `fromUrl`, at `toUrl`, a copy of the template's jobs. */
  clone(fromUrl: string, toUrl: string): Promise<void>;
  /** Deletes what the system keeps for the database at `url` (which the harness is dropping). */
  drop(url: string): Promise<void>;
  close(): Promise<void>;
}

export interface StoreInfo {
  name: string;
  version: string;
  /** Where it is, without a password. */
  address: string;
  settings: Record<string, string>;
}

/** The queue (entrypoint, task identifier) every benchmark job goes to. */
export const QUEUE_NAME = 'noop';
