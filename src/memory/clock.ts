/**
 * Where the in-memory backend reads the time (PostgreSQL's now() in the real one). Tests pass
 * a `TestClock` (pgqueuer/testing) to move time by hand; nothing global is patched.
 */
export interface Clock {
  now(): Date;
  /** Called when the time jumps (a test clock advanced), so workers re-check what is due. */
  onChange?(listener: () => void): () => void;
}

export const systemClock: Clock = { now: () => new Date() };
