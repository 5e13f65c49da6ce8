import type { Clock } from '../types.js';

/** The real time, for the in-memory backend when no test clock is given. */
export const systemClock: Clock = { now: () => new Date() };
