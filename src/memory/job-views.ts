import type { ClaimedJob, LiveJob } from '../port/rows.js';
import type { AnyJobStatus, JobHeaders, JobSummary } from '../types.js';
import type { JobRecord, LogRecord } from './records.js';

/** A live job as getJob and listJobs show it: as listed, without its key, with what it carries. */
export function liveSummary(job: JobRecord): JobSummary {
  const { dedupeKey: _dedupeKey, ...listed } = liveJobView(job);
  const summary: JobSummary = listed;
  if (job.error !== null) summary.error = job.error;
  if (job.requeuedFrom !== null) summary.requeuedFrom = job.requeuedFrom;
  if (job.parents !== null) summary.parents = job.parents;
  return summary;
}

/** A job that ended, from the log entry that ended it. */
export function endedSummary(last: LogRecord): JobSummary {
  const summary: JobSummary = {
    id: last.jobId,
    entrypoint: last.entrypoint,
    status: last.status as AnyJobStatus,
    priority: last.priority,
    payload: last.payload === null ? null : JSON.parse(last.payload),
    headers: last.headers === null ? null : (JSON.parse(last.headers) as JobHeaders),
    attempts: last.attempt,
    createdAt: new Date(last.createdAt),
    executeAfter: null,
  };
  if (last.status === 'successful' && last.result !== null) summary.result = last.result;
  if (last.error !== null) summary.error = last.error;
  if (last.requeuedFrom !== null) summary.requeuedFrom = last.requeuedFrom;
  if (last.parents !== null) summary.parents = last.parents;
  return summary;
}

/** A job as a claim hands it to the worker that took it (attempt counted, `now` the claim's time). */
export function claimedView(job: JobRecord, now: number): ClaimedJob {
  return {
    id: job.id,
    entrypoint: job.entrypoint,
    priority: job.priority,
    payload: JSON.parse(job.payload),
    headers: JSON.parse(job.headers) as JobHeaders,
    attempt: job.attempts,
    rescues: job.rescues,
    snoozes: job.snoozes,
    createdAtMs: job.createdAt,
    cancelRequested: job.cancelRequested,
    queuedMs: Math.max(0, now - job.executeAfter),
  };
}

/** A live job as listLiveJobs lists it. */
export function liveJobView(job: JobRecord): LiveJob {
  return {
    id: job.id,
    entrypoint: job.entrypoint,
    status: job.status,
    priority: job.priority,
    payload: JSON.parse(job.payload),
    headers: JSON.parse(job.headers) as JobHeaders,
    executeAfter: new Date(job.executeAfter),
    dedupeKey: job.dedupeKey,
    attempts: job.attempts,
    createdAt: new Date(job.createdAt),
  };
}
