import { jobId, jobIds, resolveJobQuery, resolveRequeueTarget } from './job-arguments.js';
import { validateEntrypointName } from './options.js';
import type { QueueBackend } from './port/queue-backend.js';
import type { JobInfo, JobPage, ListJobsOptions, LiveJob, QueueSizeRow, RequeueTarget, ScheduleRow } from './types.js';

/**
 * What an instance does to the queue besides enqueueing, cancelling, waiting and running:
 * inspecting it (jobs, schedules, sizes) and administering it (requeue, delete, clear, pause,
 * resume). PgQueuer's base, so these are methods of the one instance users hold.
 */
export abstract class QueueAdmin {
  protected constructor(protected readonly backend: QueueBackend) {}

  /** Throws once the instance was stopped. */
  protected abstract assertOpen(): void;

  /** Every schedule in the database (also ones no running worker has any more). */
  async listSchedules(): Promise<ScheduleRow[]> {
    this.assertOpen();
    return (await this.backend.readSchedules(null)).rows;
  }

  /** A job, live or finished, with every attempt in its history; null when unknown (or pruned). */
  async getJob(id: number): Promise<JobInfo | null> {
    this.assertOpen();
    return this.backend.getJob(jobId(id));
  }

  /**
   * Jobs newest first, live and finished, a page at a time: pass the page's `next` as `after`
   * for the following one. Filter by `entrypoint` and `status`.
   */
  async listJobs(options?: ListJobsOptions): Promise<JobPage>;
  /** @deprecated Live jobs of one entrypoint, oldest first: use `listJobs({ entrypoint })`. */
  async listJobs(entrypoint: string, options?: { limit?: number }): Promise<LiveJob[]>;
  async listJobs(a: ListJobsOptions | string = {}, b: { limit?: number } = {}): Promise<JobPage | LiveJob[]> {
    this.assertOpen();
    if (typeof a === 'string') return this.backend.listLiveJobs(a, b.limit ?? 1_000);
    return this.backend.listJobs(resolveJobQuery(a));
  }

  /**
   * Runs jobs again; returns the ids now queued, in input order. A held job goes back to the
   * queue under its id (attempts reset, history kept); a finished `exception` or `canceled` job
   * is enqueued again as a new job that records where it came from (`requeuedFrom`).
   * `{ status: 'held' }` takes every held job (of `entrypoint`, when given).
   */
  async requeue(target: RequeueTarget): Promise<number[]> {
    this.assertOpen();
    return this.backend.requeue(resolveRequeueTarget(target));
  }

  /** Deletes queued, scheduled or held jobs (a running one must be canceled); returns the ids deleted. */
  async deleteJobs(ids: readonly number[]): Promise<number[]> {
    this.assertOpen();
    return this.backend.deleteJobs(jobIds(ids, 'deleteJobs'));
  }

  /** Deletes the queued and scheduled jobs of one entrypoint, or of all; returns how many. */
  async clear(entrypoint?: string): Promise<number> {
    this.assertOpen();
    if (entrypoint !== undefined) validateEntrypointName(entrypoint);
    return this.backend.clear(entrypoint ?? null);
  }

  /**
   * Pauses an entrypoint for every worker at once: its jobs are no longer claimed (running ones
   * finish, ones claimed ahead go back); enqueues and schedule ticks still add jobs, which wait.
   */
  async pause(entrypoint: string): Promise<void> {
    this.assertOpen();
    validateEntrypointName(entrypoint);
    await this.backend.pause(entrypoint);
  }

  /** Resumes a paused entrypoint; workers claim its jobs at once. */
  async resume(entrypoint: string): Promise<void> {
    this.assertOpen();
    validateEntrypointName(entrypoint);
    await this.backend.resume(entrypoint);
  }

  async pausedEntrypoints(): Promise<string[]> {
    this.assertOpen();
    return this.backend.pausedEntrypoints();
  }

  /** Live jobs counted per entrypoint, status and priority. */
  async queueSize(): Promise<QueueSizeRow[]> {
    this.assertOpen();
    return this.backend.queueSize();
  }
}
