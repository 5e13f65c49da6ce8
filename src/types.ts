import type { Logger } from './logger.js';

/** JSON object stored beside a job's payload (trace context, schema fingerprints, your own tags). */
export type JobHeaders = Record<string, unknown>;

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

/** What a handler gets besides the job. */
export interface JobContext {
  /**
   * Aborted when the job is canceled (`reason` is a `JobCanceledSignal`), or when the worker
   * shuts down or loses the job before the handler finished (`JobAbandonedSignal`).
   */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

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
  headers?: JobHeaders;
  /** Enqueue on this client, inside its open transaction: a rollback removes the job. */
  client?: TransactionClient;
}

export interface EnqueueManyItem extends Omit<EnqueueOptions, 'client'> {
  entrypoint: string;
  payload: unknown;
}

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
  /** A picked job whose heartbeat is older than this goes back to the queue. Default 30 s. */
  rescueAfterMs?: number;
}

export type JobStatus = 'scheduled' | 'queued' | 'picked';
export type FinalStatus = 'successful' | 'exception' | 'canceled';

export interface QueueSizeRow {
  entrypoint: string;
  status: JobStatus;
  priority: number;
  count: number;
}
