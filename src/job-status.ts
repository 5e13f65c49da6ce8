import type { AnyJobStatus, JobStatus } from './types.js';

/** The statuses of a job in the jobs table: live, held, or blocked (waiting for its parents). */
export const LIVE_STATUSES: readonly JobStatus[] = ['scheduled', 'queued', 'picked', 'held', 'blocked'];

/** Every status a job can have, live or finished: the words of the API, SQL, CLI and dashboards. */
export const JOB_STATUSES: readonly AnyJobStatus[] = [...LIVE_STATUSES, 'successful', 'exception', 'canceled'];
