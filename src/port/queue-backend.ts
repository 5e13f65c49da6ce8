import type { FinalStatus, JobHeaders, JobStatus, QueueSizeRow, TransactionClient } from '../types.js';
import type { RetentionPolicy } from '../postgres/statements/retention.js';
import type { FireTick, ScheduleRegistration, ScheduleRow } from '../postgres/statements/schedules.js';

export type { RetentionPolicy } from '../postgres/statements/retention.js';

export type { FireTick, ScheduleRegistration, ScheduleRow } from '../postgres/statements/schedules.js';

/**
 * The storage port of the queue: what the worker and the public API need from a backend.
 * PostgreSQL implements it with the SQL in this folder; `PgQueuer.inMemory()` implements it
 * in process. Payloads cross it as JSON text, so both backends see exactly what PostgreSQL
 * would store.
 */
export interface QueueBackend {
  enqueue(rows: readonly EnqueueRow[], client?: TransactionClient): Promise<number[]>;
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /** Records finished attempts. Returns the ids whose outcome was recorded: the others had been taken over by another worker. */
  complete(workerId: string, completions: readonly Completion[]): Promise<Set<number>>;
  /** Refreshes the heartbeat of jobs this worker holds; reports which it still holds and which were canceled. */
  heartbeat(workerId: string, ids: readonly number[]): Promise<HeldJob[]>;
  /** Returns jobs whose heartbeat is older than their entrypoint's rescue interval to the queue. */
  rescue(policies: readonly RescuePolicy[]): Promise<Map<string, number>>;
  /** Gives jobs back to the queue at shutdown; `started` ones have used an attempt. */
  release(workerId: string, jobs: ReadonlyArray<{ id: number; started: boolean }>): Promise<void>;
  /** Cancels jobs: queued ones are removed, running ones are flagged and their workers told. */
  cancel(ids: readonly number[]): Promise<CanceledJob[]>;
  queueSize(): Promise<QueueSizeRow[]>;
  /** Live jobs of an entrypoint, oldest first (for tests and tools). */
  listJobs(entrypoint: string, limit: number): Promise<LiveJob[]>;
  /** Jobs of these entrypoints that are running, runnable now, or due: zero means idle. */
  pendingCount(entrypoints: readonly string[]): Promise<number>;
  /** Milliseconds until the earliest deferred job of these entrypoints is due, or null if none. */
  nextDueInMs(entrypoints: readonly string[]): Promise<number | null>;
  /** Final outcomes of these jobs, and which of them are still live (queued or running). */
  outcomes(ids: readonly number[]): Promise<{ finished: JobOutcome[]; live: number[] }>;
  /** Calls `onDone` with ids of jobs that just finished; heals itself after failures. */
  subscribeCompletions(events: CompletionEvents): Promise<{ close(): Promise<void> }>;
  /** Deletes one batch of log entries past `policy`, unless another worker is pruning. */
  prune(policy: RetentionPolicy): Promise<{ held: boolean; deleted: number; more: boolean }>;
  databaseNow(): Promise<Date>;
  registerSchedules(schedules: readonly ScheduleRegistration[]): Promise<void>;
  /** Schedules by name (all when `names` is null), with the database time of the read. */
  readSchedules(names: readonly string[] | null): Promise<{ rows: ScheduleRow[]; dbNow: Date }>;
  fireTick(tick: FireTick): Promise<{ advanced: boolean; jobId: number | null }>;
  registerWorker(worker: WorkerInfo): Promise<void>;
  unregisterWorker(workerId: string): Promise<void>;
  /** Delivers work notifications to a worker; the subscription heals itself after failures. */
  subscribe(events: WorkEvents): Promise<{ close(): Promise<void> }>;
  close(): Promise<void>;
}

export interface EnqueueRow {
  entrypoint: string;
  priority: number;
  /** JSON text, already checked. */
  payload: string;
  headers: string | null;
  /** An absolute time (ISO string) or a delay from the database's now(). */
  executeAt: string | null;
  delayMs: number | null;
  dedupeKey: string | null;
}

export interface EntrypointClaimPolicy {
  name: string;
  /** 0: no limit. */
  concurrencyLimit: number;
  /** 0: no limit. */
  ratePerSecond: number;
  burst: number;
}

export interface ClaimRequest {
  workerId: string;
  entrypoints: readonly EntrypointClaimPolicy[];
  /** Jobs this worker can start now. */
  capacity: number;
}

export interface ClaimResult {
  jobs: ClaimedJob[];
  /** Rate-limited entrypoints whose runnable jobs this claim left waiting for tokens. */
  rateLimited: string[];
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
  createdAt: Date;
  cancelRequested: boolean;
  /** How long it was runnable (enqueued, due or retried) before this claim, by the database clock. */
  queuedMs: number;
}

export interface CanceledJob {
  id: number;
  entrypoint: string;
  /** Running: flagged, and ends canceled in its worker. Otherwise removed from the queue now. */
  running: boolean;
}

export type CompletionOutcome = 'successful' | 'exception' | 'canceled' | 'retry';

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Extra facts, e.g. validation issues. */
  details?: unknown;
}

export interface Completion {
  id: number;
  attempt: number;
  /** For the worker's own accounting (metrics); the backend goes by id and attempt. */
  entrypoint: string;
  outcome: CompletionOutcome;
  durationMs: number;
  error?: SerializedError;
  /** JSON text of the handler's return value. */
  result?: string;
  /** For `retry`: delay before the next attempt. */
  retryDelayMs?: number;
}

export interface HeldJob {
  id: number;
  cancelRequested: boolean;
}

export interface RescuePolicy {
  entrypoint: string;
  rescueAfterMs: number;
}

export interface LiveJob {
  id: number;
  entrypoint: string;
  status: JobStatus;
  priority: number;
  payload: unknown;
  headers: JobHeaders;
  executeAfter: Date;
  dedupeKey: string | null;
  attempts: number;
  createdAt: Date;
}

export interface JobOutcome {
  id: number;
  status: FinalStatus;
  result?: unknown;
  error?: SerializedError;
}

export interface CompletionEvents {
  done(ids: readonly number[]): void;
  /** Notifications may have been missed while the listener reconnected. */
  reconnected(): void;
}

export interface WorkerInfo {
  id: string;
  hostname: string;
  pid: number;
  entrypoints: readonly string[];
}

export interface WorkEvents {
  /** Jobs of `entrypoint` were enqueued; the earliest is due in `delayMs` (0: now). */
  enqueued(entrypoint: string, delayMs: number): void;
  cancelRequested(ids: readonly number[]): void;
  /** The notification stream was interrupted and restored: something may have been missed. */
  reconnected(): void;
  /** The backend's clock jumped (a test clock): due jobs and schedule ticks may have changed. */
  timeChanged?(): void;
  error?(err: Error): void;
}
