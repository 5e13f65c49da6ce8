import type { JobError } from '../types.js';

/**
 * The errors pgqueuer itself records in the log, where no handler threw: both adapters write
 * exactly these, so the log reads the same on either backend.
 */
export const SYSTEM_ERRORS = {
  /** A running job whose worker stopped heartbeating went back to the queue. */
  heartbeatTimeout: {
    name: 'HeartbeatTimeout',
    message: 'the worker running this attempt stopped heartbeating; the job went back to the queue',
  },
  /** A worker shut down before its handler finished and gave the job back. */
  shutdownTimeout: {
    name: 'ShutdownTimeout',
    message: 'the worker shut down before the handler finished; the job went back to the queue',
  },
} as const satisfies Record<string, JobError>;

/** A job lost with its worker this many times is failed instead of run again. */
export const MAX_RESCUES = 5;

export function tooManyRescues(jobId: number, rescues: number): JobError {
  return {
    name: 'TooManyRescues',
    message: `job ${jobId} was rescued from lost workers ${rescues} times; it may be crashing them, so it was not run again`,
  };
}

export function tooManySnoozes(snoozes: number, maxSnoozes: number): JobError {
  return {
    name: 'TooManySnoozes',
    message: `the job asked to run later (RetryLaterError) ${snoozes} times, its limit (maxSnoozes ${maxSnoozes}); it failed instead`,
  };
}

/** A job given back `snoozes` times for a worker that knows its payload version, and none came. */
export function unknownSchemaVersion(reason: string, snoozes: number, maxSnoozes: number): JobError {
  return {
    name: 'UnknownSchemaVersion',
    message:
      `${reason}. It was given back ${snoozes} times for a worker that knows that version, its limit (maxSnoozes ${maxSnoozes}); it failed instead. ` +
      'Deploy workers built with the schema that wrote it, or list that shape in "previous" with an upcaster, then requeue it.',
  };
}

/** What the backend could not store of an outcome, recorded in its place. */
export function outcomeNotStorable(outcome: string, reason: string): JobError {
  return { name: 'OutcomeNotStorable', message: `the database refused this job's ${outcome} outcome: ${reason}` };
}

/** The payload of a schedule tick's job, as both adapters write it and the tick's handler reads it. */
export interface TickPayload {
  /** ISO time of the tick by the schedule. */
  scheduledAt: string;
}

export function tickPayload(scheduledAt: Date): TickPayload {
  return { scheduledAt: scheduledAt.toISOString() };
}
