/**
 * The types of the generated client (`createClient(pgq)`): typed enqueue functions, the
 * handles they return, typed parents and the typed views of jobs.
 */
import type { EnqueueOptions, JobContext, JobInfo, JobPage, ListJobsOptions, TransactionClient, WaitOptions } from './types.js';

/** What a typed enqueue (the generated client) returns: the job id, and a way to await its typed result. */
export interface JobHandle<Result, Name extends string = string> {
  readonly id: number;
  /** The job's entrypoint: typed, so a handle can only be a parent where its job is expected. */
  readonly entrypoint: Name;
  /**
   * Resolves with the handler's return value (checked by the job's `result` schema) once the
   * job succeeded; rejects with `JobFailedError`, `JobCanceledError` or `WaitTimeoutError`.
   */
  result(options?: WaitOptions): Promise<Result>;
}

/**
 * A typed job's parents, by the names its schema entry gives them (`after: { images:
 * 'resizeImage' }`): handles of jobs of those entrypoints only.
 */
export type TypedParents<After> = { readonly [Name in keyof After]: readonly After[Name][] };

/** The options of a typed enqueue; `after` is required, and typed, for a job declared with parents. */
export type TypedEnqueueOptions<After = undefined> = [After] extends [undefined]
  ? Omit<EnqueueOptions, 'after'>
  : Omit<EnqueueOptions, 'after'> & { after: TypedParents<After> };

/** One job for `enqueue.<job>.many([...])`. */
export type EnqueueItem<Payload, After = undefined> = Omit<TypedEnqueueOptions<After>, 'client'> & { payload: Payload };

/**
 * `enqueue.<job>`. `After` maps a dependent job's parent names to the handle type of each
 * (undefined for a job without parents).
 */
export interface TypedEnqueue<Payload, Result, Name extends string = string, After = undefined> {
  (payload: Payload, ...options: [After] extends [undefined] ? [options?: TypedEnqueueOptions] : [options: TypedEnqueueOptions<After>]): Promise<JobHandle<Result, Name>>;
  /** The entrypoint this function enqueues to. */
  readonly entrypoint: Name;
  /** One statement for all items; all or nothing (validation included). */
  many(items: readonly EnqueueItem<Payload, After>[], options?: { client?: TransactionClient }): Promise<JobHandle<Result, Name>[]>;
}

/** A dependent job's handler context: its parents' results by name, in the order given. */
export interface ParentsContext<Parents> extends Omit<JobContext, 'parents'> {
  readonly parents: Parents;
}

/** The generated client's `jobs.<job>`: that job's jobs, with typed payloads and results. */
export interface TypedJobs<Payload, Result> {
  /** The job with this id, live or finished, with its history; null if none, or of another job. */
  get(id: number): Promise<JobInfo<Payload, Result> | null>;
  /** A page of this job's jobs, newest first. */
  list(options?: Omit<ListJobsOptions, 'entrypoint'>): Promise<JobPage<Payload, Result>>;
}
