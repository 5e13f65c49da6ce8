import { shown } from './shown-value.js';
import { ConfigError } from './errors.js';
import { rejectUnknownKeys, timerMs, validateEntrypointName } from './options.js';
import type { JobQuery } from './port/rows.js';
import { JOB_STATUSES } from './job-status.js';
import type { ListJobsOptions, RequeueTarget, WaitOptions } from './types.js';

/** A job id as the caller gave it, checked. */
export function jobId(id: unknown): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
    throw new ConfigError(`job ids are positive integers, got ${shown(id)}`);
  }
  return id;
}

/** A list of job ids as the caller gave it to `call`, checked. */
export function jobIds(ids: unknown, call: string): number[] {
  if (!Array.isArray(ids)) throw new ConfigError(`${call} expects an array of job ids, got ${shown(ids)}`);
  return ids.map(jobId);
}

/** `listJobs` options, checked, as the backend's query. */
export function resolveJobQuery(options: ListJobsOptions): JobQuery {
  if (options === null || typeof options !== 'object') throw new ConfigError('listJobs expects { entrypoint?, status?, limit?, after? }');
  const { entrypoint, status, limit = 50, after } = options;
  if (entrypoint !== undefined) validateEntrypointName(entrypoint);
  if (status !== undefined && !JOB_STATUSES.includes(status)) {
    throw new ConfigError(`listJobs: status must be one of ${JOB_STATUSES.join(', ')}, got ${shown(status)}`);
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) {
    throw new ConfigError(`listJobs: limit must be an integer from 1 to 1,000, got ${shown(limit)}`);
  }
  return { entrypoint: entrypoint ?? null, status: status ?? null, limit, before: after === undefined ? null : jobId(after) };
}

/** What `requeue` was asked to take, checked: ids, or every held job (of one entrypoint). */
export function resolveRequeueTarget(target: RequeueTarget): number[] | { entrypoint?: string; status: 'held' } {
  if (Array.isArray(target)) return jobIds(target, 'requeue');
  const { entrypoint, status } = (target ?? {}) as { entrypoint?: unknown; status?: unknown };
  if (status !== 'held') throw new ConfigError('requeue expects job ids, or { entrypoint?, status: "held" }');
  if (entrypoint === undefined) return { status };
  validateEntrypointName(entrypoint);
  return { entrypoint, status };
}

/** `waitFor` options, checked: a timeout past setTimeout's range would fire at once. */
export function resolveWaitOptions(options: WaitOptions): WaitOptions {
  if (options === null || typeof options !== 'object') throw new ConfigError(`waitFor: options must be { timeoutMs? }, got ${shown(options)}`);
  rejectUnknownKeys(options, ['timeoutMs'], 'waitFor');
  return options.timeoutMs === undefined ? {} : { timeoutMs: timerMs(options.timeoutMs, 'waitFor: timeoutMs') };
}
