import type { Clock } from '../types.js';

/**
 * A clock a test moves by hand, for `PgQueuer.inMemory({ clock })`: deferred jobs become due
 * and schedule ticks fire when the test advances it, not when real time passes. It belongs to
 * the one instance it is given to; nothing global (Date, timers) is touched, so it cannot
 * leak into other tests.
 */
export class TestClock implements Clock {
  private current: number;
  private readonly listeners = new Set<() => void>();

  constructor(start: Date | string | number = '2026-01-01T00:00:00.000Z') {
    this.current = new Date(start).getTime();
    if (Number.isNaN(this.current)) throw new RangeError(`TestClock: invalid start time ${String(start)}`);
  }

  now(): Date {
    return new Date(this.current);
  }

  /** Moves time forward by `ms`; workers on this clock re-check what became due. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`TestClock.advance: ms must be ≥ 0, got ${ms}`);
    this.current += ms;
    for (const listener of this.listeners) listener();
  }

  /** Sets the time (forward only, as a database clock would). */
  set(to: Date | string | number): void {
    const target = new Date(to).getTime();
    if (!(target >= this.current)) throw new RangeError('TestClock.set: time only moves forward');
    this.advance(target - this.current);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
