import type { AttemptStatus, JobError, JobStatus } from '../types.js';
import { groupOfHeaders } from './group-turns.js';

/** A live job as the in-memory backend keeps it: a row of PostgreSQL's jobs table. */
export interface JobRecord {
  id: number;
  entrypoint: string;
  priority: number;
  status: JobStatus;
  /** Stored as JSON text, parsed afresh for each claim: handlers never share objects with producers. */
  payload: string;
  headers: string;
  /** From the headers (GROUP_HEADER), kept with them: '' for none. */
  group: string;
  /** Its place in the turn order of grouped jobs (jobs.group_turn); null without a group. */
  turn: number | null;
  executeAfter: number;
  dedupeKey: string | null;
  dedupeWindowMs: number | null;
  attempts: number;
  rescues: number;
  snoozes: number;
  heartbeat: number | null;
  workerId: string | null;
  pickedAt: number | null;
  cancelRequested: boolean;
  createdAt: number;
  error: JobError | null;
  requeuedFrom: number | null;
  /** The jobs it waits for (or waited for), in the order given; null for none. */
  parents: number[] | null;
  /** How many of them have not ended: a `blocked` job is runnable at 0. */
  blockedBy: number;
  runOnParentFailure: boolean;
}

/** One entry of the job log (an attempt that ended, or a job that did): a row of job_log. */
export interface LogRecord {
  id: number;
  jobId: number;
  entrypoint: string;
  priority: number;
  status: AttemptStatus;
  attempt: number;
  workerId: string | null;
  durationMs: number | null;
  error: JobError | null;
  result: unknown;
  /** Kept, as in PostgreSQL, for jobs that did not succeed. */
  payload: string | null;
  headers: string | null;
  createdAt: number;
  pickedAt: number | null;
  finishedAt: number;
  requeuedFrom: number | null;
  parents: number[] | null;
}

/** The statuses that end a job. */
export const FINAL: ReadonlySet<AttemptStatus> = new Set(['successful', 'exception', 'canceled']);

/** A new job, queued (or scheduled when `executeAfter` is later than `now`), with nothing else set. */
export function newJobRecord(id: number, entrypoint: string, priority: number, payload: string, headers: string, executeAfter: number, now: number): JobRecord {
  return {
    id,
    entrypoint,
    priority,
    status: executeAfter > now ? 'scheduled' : 'queued',
    payload,
    headers,
    group: groupOfHeaders(headers),
    turn: null,
    executeAfter,
    dedupeKey: null,
    dedupeWindowMs: null,
    attempts: 0,
    rescues: 0,
    snoozes: 0,
    heartbeat: null,
    workerId: null,
    pickedAt: null,
    cancelRequested: false,
    createdAt: now,
    error: null,
    requeuedFrom: null,
    parents: null,
    blockedBy: 0,
    runOnParentFailure: false,
  };
}
