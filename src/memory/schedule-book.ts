import type { FireTick, ScheduleRegistration, ScheduleRow } from '../port/rows.js';
import { compareText } from './text-order.js';

/** The in-memory schedules table: registrations, and the compare-and-set that fires a tick. */
export class ScheduleBook {
  private readonly rows = new Map<string, ScheduleRow>();

  /** Registers (or refreshes) schedules; one whose spec is unchanged keeps its next run. */
  register(schedules: readonly ScheduleRegistration[], now: Date): void {
    for (const s of schedules) {
      const existing = this.rows.get(s.name);
      const unchanged = existing && existing.expression === s.expression && existing.timezone === s.timezone;
      this.rows.set(s.name, {
        name: s.name,
        expression: s.expression,
        timezone: s.timezone,
        missed: s.missed,
        nextRun: unchanged ? existing.nextRun : s.nextRun,
        lastRun: existing?.lastRun ?? null,
        registeredAt: now,
      });
    }
  }

  /** Copies of the named schedules (all for null), by name. */
  read(names: readonly string[] | null): ScheduleRow[] {
    return [...this.rows.values()]
      .filter((s) => names === null || names.includes(s.name))
      .sort((a, b) => compareText(a.name, b.name))
      .map((s) => ({ ...s }));
  }

  /**
   * Moves the schedule on to `tick.next` if it still expects `tick.expected` and that time has
   * come (another process may have fired it first); whether it did.
   */
  advance(tick: FireTick, nowMs: number): boolean {
    const schedule = this.rows.get(tick.name);
    if (!schedule || schedule.nextRun.getTime() !== tick.expected.getTime() || schedule.nextRun.getTime() > nowMs) return false;
    schedule.nextRun = tick.next;
    if (tick.scheduledAt !== null) schedule.lastRun = tick.scheduledAt;
    return true;
  }
}
