import type { RetentionPolicy } from '../port/rows.js';
import type { AttemptStatus, JobAttempt, JobError } from '../types.js';
import { FINAL, type JobRecord, type LogRecord } from './records.js';

/** Who ran an attempt and for how long (null for a job that ended without running). */
export type AttemptRun = Pick<LogRecord, 'workerId' | 'durationMs' | 'pickedAt'>;

/**
 * The in-memory job log (PostgreSQL's job_log): one entry per attempt that ended and per job
 * that did, oldest first, pruned by a retention policy.
 */
export class JobHistory {
  private readonly entries: LogRecord[] = [];
  private nextId = 1;

  /**
   * Logs an attempt of `job`. The payload and headers are kept, as in PostgreSQL, for a job
   * that ended without success; `stillLive` (held after its failure) keeps them on the job.
   */
  append(job: JobRecord, status: AttemptStatus, error: JobError | null, result: unknown, now: number, run: AttemptRun, stillLive: boolean): void {
    const keepsPayload = FINAL.has(status) && status !== 'successful' && !(status === 'exception' && stillLive);
    this.entries.push({
      id: this.nextId++,
      jobId: job.id,
      entrypoint: job.entrypoint,
      priority: job.priority,
      status,
      attempt: job.attempts,
      workerId: run.workerId,
      durationMs: run.durationMs,
      error,
      result,
      payload: keepsPayload ? job.payload : null,
      headers: keepsPayload ? job.headers : null,
      createdAt: job.createdAt,
      pickedAt: run.pickedAt,
      finishedAt: now,
      requeuedFrom: FINAL.has(status) ? job.requeuedFrom : null,
      parents: FINAL.has(status) ? job.parents : null,
    });
  }

  /** The newest entry that ended the job, if one is logged. */
  lastFinal(jobId: number): LogRecord | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!;
      if (entry.jobId === jobId && FINAL.has(entry.status)) return entry;
    }
    return undefined;
  }

  /** A job's attempts as getJob shows them, oldest first. */
  attemptsOf(jobId: number): JobAttempt[] {
    return this.entries
      .filter((e) => e.jobId === jobId)
      .map((e) => {
        const attempt = {
          attempt: e.attempt,
          status: e.status,
          startedAt: e.pickedAt === null ? null : new Date(e.pickedAt),
          finishedAt: new Date(e.finishedAt),
          durationMs: e.durationMs,
          workerId: e.workerId,
        };
        return e.error === null ? attempt : { ...attempt, error: e.error };
      });
  }

  /** The ids of the jobs that ended. */
  endedIds(): number[] {
    return this.entries.filter((e) => FINAL.has(e.status)).map((e) => e.jobId);
  }

  /**
   * Deletes entries past the policy's age or row count, but those of jobs `waitedFor` (a
   * parent whose child still waits holds its outcome and result). Returns how many went and
   * the ids of the jobs with entries left.
   */
  prune(policy: RetentionPolicy, now: number, waitedFor: (jobId: number) => boolean): { deleted: number; remembered: Set<number> } {
    const before = this.entries.length;
    const cutoff = policy.maxAgeMs === null ? -Infinity : now - policy.maxAgeMs;
    const keepFrom = policy.maxRows === null ? 0 : Math.max(0, before - policy.maxRows);
    const kept = this.entries.filter((entry, i) => (i >= keepFrom && entry.finishedAt >= cutoff) || waitedFor(entry.jobId));
    this.entries.splice(0, before, ...kept);
    return { deleted: before - kept.length, remembered: new Set(kept.map((entry) => entry.jobId)) };
  }
}
