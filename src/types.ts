/**
 * Every public type of pgqueuer's runtime, in one place to import from: jobs, enqueue options,
 * inspection and schedules here; an instance's options (instance-options.ts), an entrypoint's
 * (entrypoint-options.ts) and the generated client's (typed-client-types.ts) re-exported from
 * their own modules. index.ts re-exports them all. (The schema file's own types,
 * `JobDefinition` and `JobsSchema`, live with `defineJobs` in schema/define-jobs.ts.)
 */
import type { RetryPolicy } from './entrypoint-options.js';

export type { HealthReport, MetricsOptions, PgQueuerOptions, RetentionOptions, RunOptions, WorkerOptions } from './instance-options.js';
export type { EnqueueItem, JobHandle, ParentsContext, TypedEnqueue, TypedEnqueueOptions, TypedJobs, TypedParents } from './typed-client-types.js';

/** JSON object stored beside a job's payload (trace context, schema fingerprints, your own tags). */
export type JobHeaders = Record<string, unknown>;

/**
 * Where a live job is: `scheduled` (deferred, not due yet), `queued` (runnable), `picked`
 * (claimed by a worker: running, or about to run in that worker; "running" in these docs
 * means `picked`), `held` (failed for good under `onFailure: 'hold'`: kept, never claimed,
 * until requeued or deleted).
 */
export type JobStatus = 'scheduled' | 'queued' | 'picked' | 'held' | 'blocked';
/** How a job ended. */
export type FinalStatus = 'successful' | 'exception' | 'canceled';
/**
 * How one attempt ended, as a job's history lists it: a final status, or `retried` (failed,
 * runs again), `rescued` (lost with its worker, runs again), `snoozed` (asked to run later).
 */
export type AttemptStatus = FinalStatus | 'retried' | 'rescued' | 'snoozed';
/** Any status a job can be listed with. */
export type AnyJobStatus = JobStatus | FinalStatus;

/** A job as its handler sees it. */
export interface Job<Payload = unknown> {
  readonly id: number;
  readonly entrypoint: string;
  readonly payload: Payload;
  /** 1 on the first run, 2 on the first retry, … */
  readonly attempt: number;
  readonly priority: number;
  readonly headers: JobHeaders;
  /** When the job was enqueued (database time). */
  readonly createdAt: Date;
}

/**
 * The logging interface pgqueuer writes to: a subset of pino's, so a pino (or pino-like)
 * logger can be passed as is. pgqueuer is quiet unless given one.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What a handler gets besides the job. */
export interface JobContext {
  /**
   * Aborted when the job is canceled (`reason` is a `JobCanceledSignal`), or when the worker
   * shuts down or loses the job before the handler finished (`JobAbandonedSignal`).
   */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /**
   * The jobs this one waited for (`EnqueueOptions.after`), in the order given, with their
   * results (undefined for a parent that failed, when the entrypoint runs anyway with
   * `onParentFailure: 'run'`). Empty for a job without parents.
   */
  readonly parents: readonly ParentResult[];
}

/** A parent of a job, as its handler sees it. */
export interface ParentResult {
  readonly id: number;
  readonly status: FinalStatus;
  /** The parent's return value (as stored): set when it was successful. */
  readonly result: unknown;
}

/** A job to wait for: its id, or (in one `enqueueMany` call) an earlier item of the same call. */
export type ParentRef = number | { readonly id: number } | { readonly item: number };

export type JobHandler<Payload = unknown, Result = unknown> = (
  job: Job<Payload>,
  ctx: JobContext,
) => Promise<Result> | Result;

/** A `pg` client (or anything with its `query`), to enqueue inside the caller's transaction. */
export interface TransactionClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

export interface EnqueueOptions {
  /** Higher runs first. Default 0. */
  priority?: number;
  /** Run no earlier than this moment, or this many milliseconds from now (database time). */
  executeAfter?: Date | number;
  /**
   * At most one queued or running job of this entrypoint holds a given key; a second enqueue
   * throws `DuplicateJobError`. The key is free again once the job finishes.
   */
  dedupeKey?: string;
  /**
   * When the dedupe key is taken: `'error'` (default) throws `DuplicateJobError`; `'skip'`
   * writes nothing and returns the id of the job holding the key; `'replace'` updates that job's
   * payload, headers, priority and executeAfter (if it is queued or scheduled) and returns its id.
   */
  onConflict?: 'error' | 'skip' | 'replace';
  /** The key stays taken for this long after its job finished (unique per period). */
  dedupeWindowMs?: number;
  headers?: JobHeaders;
  /**
   * Jobs this one waits for: it stays `blocked` until all of them ended `successful`, then
   * becomes runnable (released by their completion, in the same transaction). A parent that
   * ends `exception` or `canceled` (or is deleted) cancels it, unless `onParentFailure` is
   * `'run'`. Ids or handles of existing jobs (also ones enqueued earlier in the same
   * transaction), or `{ item: i }` for item i of the same `enqueueMany` call.
   */
  after?: readonly ParentRef[];
  /**
   * What a failed parent does to this job: `'cancel'` it (default), or `'run'` it anyway.
   * Default: the entrypoint's `onParentFailure` when this instance knows the entrypoint.
   */
  onParentFailure?: 'cancel' | 'run';
  /**
   * The job's group (a tenant, a customer, a recipient): with the entrypoint's
   * `groupConcurrency`, at most that many jobs of one group run at once across all workers,
   * and groups take turns. Carried in the header `pgq-group`. A non-empty string.
   */
  group?: string;
  /** Enqueue on this client, inside its open transaction: a rollback removes the job. */
  client?: TransactionClient;
}

export interface EnqueueManyItem extends Omit<EnqueueOptions, 'client'> {
  entrypoint: string;
  payload: unknown;
}

export type { EntrypointOptions, RateLimit, RetryPolicy } from './entrypoint-options.js';

/** A job's last error as the log keeps it. */
export interface JobError {
  name: string;
  message: string;
  stack?: string;
  /** Extra facts, e.g. validation issues. */
  details?: unknown;
}

export interface QueueSizeRow {
  entrypoint: string;
  status: JobStatus;
  priority: number;
  count: number;
  /** The entrypoint is paused: its queued jobs wait until it is resumed. */
  paused: boolean;
}

/** One attempt of a job, from its log. */
export interface JobAttempt {
  attempt: number;
  status: AttemptStatus;
  startedAt: Date | null;
  finishedAt: Date;
  durationMs: number | null;
  workerId: string | null;
  error?: JobError;
}

/** A job as listed: live (from the queue) or finished (from the log). */
export interface JobSummary<Payload = unknown, Result = unknown> {
  id: number;
  entrypoint: string;
  status: AnyJobStatus;
  priority: number;
  /** Kept for live, held and failed or canceled jobs; null for a successful one (not kept). */
  payload: Payload | null;
  headers: JobHeaders | null;
  /** Attempts made so far (a held job that was requeued starts again at 0). */
  attempts: number;
  createdAt: Date;
  /** When a live job runs at the earliest; null once finished. */
  executeAfter: Date | null;
  /** A successful job's stored result. */
  result?: Result;
  /** Why a held, failed or canceled job stopped. */
  error?: JobError;
  /** The failed job this one was enqueued again from, by `requeue`. */
  requeuedFrom?: number;
  /** The jobs this one waited for (`after`), in the order given. */
  parents?: number[];
}

/** A job with every attempt it made. */
export interface JobInfo<Payload = unknown, Result = unknown> extends JobSummary<Payload, Result> {
  history: JobAttempt[];
  /** Jobs that were enqueued to wait for this one, oldest first. */
  children: number[];
}

export interface ListJobsOptions {
  entrypoint?: string;
  status?: AnyJobStatus;
  /** Default 50, at most 1,000. */
  limit?: number;
  /** The `next` of the previous page: jobs older (lower id) than this. */
  after?: number;
}

/** One page of `listJobs`, newest first; `next` fetches the following page, null at the end. */
export interface JobPage<Payload = unknown, Result = unknown> {
  jobs: JobSummary<Payload, Result>[];
  next: number | null;
}

/** Which jobs `requeue` takes: these ids, or every held job (of one entrypoint). */
export type RequeueTarget = readonly number[] | { entrypoint?: string; status: 'held' };

/** A live job (scheduled, queued or running), as `listJobs` returns it. */
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

export interface WaitOptions {
  /** Give up after this long with a `WaitTimeoutError` (the job is left alone). Default: wait on. */
  timeoutMs?: number;
}

/** A finished (or held) job as `waitFor` reports it. */
export interface JobCompletion<Result = unknown> {
  id: number;
  /** `held`: failed for good and kept (`onFailure: 'hold'`); a requeue makes it run again. */
  status: FinalStatus | 'held';
  /** The handler's return value (for `successful`), as stored. */
  result?: Result;
  /** What the last attempt threw (for `exception` and `held`, and `canceled` when it was running). */
  error?: JobError;
}

/** What to do with ticks that passed while no worker ran the schedule. */
export type MissedTickPolicy = 'once' | 'skip';

export interface ScheduleOptions {
  /** IANA timezone the expression is read in. Default UTC. */
  timezone?: string;
  /** Ticks missed while no worker ran: run the latest once (default) or skip them. */
  missed?: MissedTickPolicy;
  /** Let a tick start while the previous one still runs. Default false. */
  allowOverlap?: boolean;
  retry?: RetryPolicy;
  rescueAfterMs?: number;
  priority?: number;
  /** As for an entrypoint: a tick's attempt running longer is aborted and fails. */
  timeoutMs?: number;
  /** As for an entrypoint: a tick that fails for good is held instead of logged. */
  onFailure?: 'log' | 'hold';
  maxSnoozes?: number;
}

/** What a schedule's handler gets for each tick. */
export interface ScheduleTick {
  name: string;
  /** The tick's time by the schedule (not when the handler started). */
  scheduledAt: Date;
}

export type ScheduleHandler = (tick: ScheduleTick, ctx: JobContext) => unknown;

/** A cron schedule as stored (also ones no running worker has any more). */
export interface ScheduleRow {
  name: string;
  expression: string;
  timezone: string;
  missed: MissedTickPolicy;
  nextRun: Date;
  lastRun: Date | null;
  registeredAt: Date;
}

/**
 * Where the in-memory backend reads the time (PostgreSQL's now() in the real one). Tests pass
 * a `TestClock` (pgqueuer/testing) to move time by hand; nothing global is patched.
 */
export interface Clock {
  now(): Date;
  /** Called when the time jumps (a test clock advanced), so workers re-check what is due. */
  onChange?(listener: () => void): () => void;
}

export interface InstallReport {
  schema: string;
  /** Versions applied by this call (empty when already up to date). */
  applied: number[];
  /** Objects that were missing (a dropped index, a disabled trigger) and were made again. */
  repaired: string[];
  version: number;
}

/** What `uninstall` did. */
export interface UninstallReport {
  schema: string;
  /** False when there was nothing to uninstall (the schema does not exist) or `confirm` declined. */
  dropped: boolean;
  /** Whether the schema existed. */
  existed: boolean;
  /** Tables that were not pgqueuer's and were dropped with the schema (only with `force`). */
  otherTables: string[];
}

export interface VerifyReport {
  schema: string;
  ok: boolean;
  installedVersion: number | null;
  latestVersion: number;
  /** One line per problem, naming the missing or outdated object. */
  problems: string[];
}
