import type { AnyJobStatus, FinalStatus, JobError, JobHeaders, JobStatus, MissedTickPolicy, ParentResult } from '../types.js';

export type { JobInfo, JobPage, LiveJob, ScheduleRow } from '../types.js';

/** A job to insert, checked and encoded by the facade (see encode.ts). */
export interface EnqueueRow {
  entrypoint: string;
  priority: number;
  /** JSON text, already checked. */
  payload: string;
  /** JSON text of an object, or null for none. */
  headers: string | null;
  /** An absolute time (ISO string), or null to use `delayMs` from the backend's now. */
  executeAt: string | null;
  delayMs: number | null;
  dedupeKey: string | null;
  /** What to do when the key is taken (see EnqueueOptions.onConflict). */
  onConflict: 'error' | 'skip' | 'replace';
  /** The key stays taken this long after the job finished; null: freed at once. */
  dedupeWindowMs: number | null;
  /** Jobs to wait for (see EnqueueOptions.after); null for none. */
  after: readonly ParentLink[] | null;
  /** Run even if a parent fails (else it cancels this job). */
  runOnParentFailure: boolean;
}

/** A parent: an existing job, or an earlier row of the same `enqueue` call. */
export type ParentLink = { id: number } | { item: number };

/**
 * The header a job with parents carries: their ids, in the order given. Written by the
 * backend (only it knows the ids of parents enqueued in the same call), read by the worker to
 * fetch the parents' results.
 */
export const PARENTS_HEADER = 'pgq-parents';

/**
 * The header that carries a job's group (EnqueueOptions.group). A header rather than a column
 * of its own, so every path that writes or copies a job (enqueue, replace, requeue from the
 * log) keeps it; PostgreSQL indexes it by expression (statements/group-key.ts).
 */
export const GROUP_HEADER = 'pgq-group';

/** What a claim knows of one entrypoint's limits; they hold across all workers. */
export interface EntrypointClaimPolicy {
  name: string;
  /** 0: no limit. */
  concurrencyLimit: number;
  /** 0: no limit. */
  ratePerSecond: number;
  burst: number;
  /** 0: groups are not limited (but still take turns). */
  groupConcurrency: number;
}

export interface ClaimRequest {
  workerId: string;
  entrypoints: readonly EntrypointClaimPolicy[];
  /** How many jobs to claim at most. */
  capacity: number;
  /**
   * Deferred jobs may have come due (a poll, a due timer, startup): move them into the
   * runnable set first. False when a notification announced runnable jobs: the lean path.
   */
  promote: boolean;
}

export interface ClaimResult {
  jobs: ClaimedJob[];
  /** Rate-limited entrypoints whose runnable jobs this claim left waiting for tokens. */
  rateLimited: string[];
  /** The claimed payloads' size as JSON text, for the worker to bound what it holds claimed ahead. */
  payloadBytes: number;
}

export interface ClaimedJob {
  id: number;
  entrypoint: string;
  priority: number;
  payload: unknown;
  headers: JobHeaders;
  attempt: number;
  /** Earlier attempts lost with their worker; they do not count against the retry budget. */
  rescues: number;
  /** Earlier attempts that asked to run later (RetryLaterError); nor do these. */
  snoozes: number;
  /** When it was enqueued, epoch milliseconds (a Date is made only if a handler reads it). */
  createdAtMs: number;
  cancelRequested: boolean;
  /** How long it was runnable (enqueued, due or retried) before this claim, by the backend's clock. */
  queuedMs: number;
  /** For a job that waited for parents: how they ended (read after the claim, see PARENTS_HEADER). */
  parents?: ParentResult[];
}

/** Where a worker hears its hand-offs: its own channel, and the secret their keys are made with. */
export interface HandOffAddress {
  channel: string;
  secret: string;
}

/** What a waiting worker offers (QueueBackend.handOff.park); each offer replaces the one before. */
export interface HandOffOffer {
  workerId: string;
  /** Its entrypoints without limits. */
  entrypoints: readonly string[];
  slots: number;
  /** Offered for this long; the worker renews it. */
  ttlMs: number;
  address: HandOffAddress;
}

/** What QueueBackend.handOff.reclaimLost did: nothing while the worker is still `offered` hand-offs. */
export interface ReclaimedJobs {
  offered: boolean;
  ids: number[];
}

export interface CanceledJob {
  id: number;
  entrypoint: string;
  /** Running: flagged, and ends canceled in its worker. Otherwise removed from the queue now. */
  running: boolean;
}

/**
 * What became of one attempt: a final status; `retried` or `snoozed` (the job goes back to
 * the queue after `retryDelayMs`); `held` (failed for good, kept as held: its attempt is logged
 * `exception`). The same words as the log's statuses.
 */
export type AttemptOutcome = FinalStatus | 'retried' | 'snoozed' | 'held';

export interface Completion {
  id: number;
  attempt: number;
  /** For the worker's own accounting (metrics); the backend goes by id and attempt. */
  entrypoint: string;
  outcome: AttemptOutcome;
  durationMs: number;
  error?: JobError;
  /** JSON text of the handler's return value. */
  result?: string;
  /** For `retried` and `snoozed`: delay before the next attempt. */
  retryDelayMs?: number;
}

/** A job a worker still holds, as its heartbeat reports it. */
export interface HeldJob {
  id: number;
  cancelRequested: boolean;
}

/** A job given back to the queue by its worker: `started` ones have used their attempt. */
export interface ReleasedJob {
  id: number;
  started: boolean;
}

export interface RescuePolicy {
  entrypoint: string;
  rescueAfterMs: number;
}

export interface RetentionPolicy {
  /** Log entries (and their results) older than this are deleted; null: no age limit. */
  maxAgeMs: number | null;
  /** At most this many log entries are kept, the newest; null: no count limit. */
  maxRows: number | null;
}

export interface PruneResult {
  /** False when another worker holds the pruning lock: this round did nothing. */
  held: boolean;
  deleted: number;
  /** A full batch was deleted: there may be more to prune now. */
  more: boolean;
}

/** The final outcome of a job (its newest final log entry), or its hold. */
export interface JobOutcome {
  id: number;
  status: FinalStatus | 'held';
  result?: unknown;
  error?: JobError;
}

export interface ScheduleRegistration {
  name: string;
  expression: string;
  timezone: string;
  missed: MissedTickPolicy;
  /** Used only for a new schedule, or one whose expression or timezone changed. */
  nextRun: Date;
}

export interface FireTick {
  name: string;
  /** The next_run this worker read: the compare-and-set fails if another worker moved it. */
  expected: Date;
  next: Date;
  /** The tick to run, or null to skip (missed ticks under the "skip" policy). */
  scheduledAt: Date | null;
  priority: number;
}

export interface WorkerInfo {
  id: string;
  hostname: string;
  pid: number;
  entrypoints: readonly string[];
}

/** What a worker hears from the backend between claims. */
export interface WorkEvents {
  /** Jobs of `entrypoint` were enqueued; the earliest is due in `delayMs` (0: now). */
  enqueued(entrypoint: string, delayMs: number): void;
  cancelRequested(ids: readonly number[]): void;
  /** The entrypoint was paused (claims leave its jobs alone) or resumed (claim at once). */
  paused(entrypoint: string): void;
  resumed(entrypoint: string): void;
  /** The notification stream was interrupted and restored: something may have been missed. */
  reconnected(): void;
  /** The backend's clock jumped (a test clock): due jobs and schedule ticks may have changed. */
  timeChanged?(): void;
  error?(err: Error): void;
  /** A probe sent by `probeNotifications` (by this subscriber or another) arrived. */
  probed?(token: string): void;
  /**
   * An enqueue handed `job` to this subscriber's worker (QueueBackend.handOff), on its own channel;
   * `key` is to be checked against its secret. `payloadBytes`: its payload as JSON text.
   */
  assigned?(job: ClaimedJob, payloadBytes: number, key: string): void;
}

/** What a completion watcher hears: jobs that finished. */
export interface CompletionEvents {
  done(ids: readonly number[]): void;
  /** Notifications may have been missed while the listener reconnected. */
  reconnected(): void;
  /** The listener failed; it keeps reconnecting. */
  error?(err: Error): void;
  /** A probe sent by `probeCompletions` (by this subscriber or another) arrived. */
  probed?(token: string): void;
}

export interface Subscription {
  close(): Promise<void>;
}

/** What `listJobs` reads: newest first, live and finished, keyset by job id. */
export interface JobQuery {
  entrypoint: string | null;
  status: AnyJobStatus | null;
  limit: number;
  /** Only jobs with a lower id; null from the newest. */
  before: number | null;
}

/** Waiting jobs (live, not running) of one entrypoint with one stamped payload fingerprint, per status. */
export interface PayloadVersionCount {
  entrypoint: string;
  /** The producer's fingerprint; null for a job without one (written by hand-made SQL). */
  fingerprint: string | null;
  status: JobStatus;
  count: number;
}

/** One waiting job's payload, read to check it against a schema. */
export interface PayloadSample {
  id: number;
  entrypoint: string;
  fingerprint: string | null;
  payload: unknown;
}

/** What `pgq schema check` reads: counts stop at `countCap` jobs per entrypoint. */
export interface PayloadVersionQuery {
  entrypoints: readonly string[];
  countCap: number;
}

/** The jobs whose payloads to read: up to `sample` per entrypoint and fingerprint. */
export interface PayloadSampleQuery {
  versions: ReadonlyArray<{ entrypoint: string; fingerprint: string | null }>;
  sample: number;
}
