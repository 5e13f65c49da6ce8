import type { Service } from '../lifecycle.js';
import type { ResolvedSchedule } from '../options.js';
import type { QueueBackend } from '../port/queue-backend.js';
import type { Logger, ScheduleRow } from '../types.js';
import { latestRun, nextRun } from './cron-spec.js';

/** Re-read the schedules at least this often, even when the next tick is far away. */
const MAX_SLEEP_MS = 30_000;
/** Wake this much after a tick is due, so the database agrees it is due. */
const WAKE_MARGIN_MS = 2;
const RETRY_MS = 1_000;
/** A tick later than this counts as missed (workers were down) and the missed-tick policy applies. */
const MISSED_AFTER_MS = 5_000;

/**
 * Fires this worker's schedules. Every worker runs one; they race for each tick and the
 * compare-and-set in `fireTick` lets exactly one win. A tick becomes a job of the schedule's
 * entrypoint, so it gets the same retries, logs, heartbeats and rescue as any job.
 */
export class Scheduler implements Service {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly backend: QueueBackend,
    private readonly schedules: ReadonlyMap<string, ResolvedSchedule>,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const dbNow = await this.backend.databaseNow();
    await this.backend.registerSchedules(
      [...this.schedules.values()].map((s) => ({
        name: s.name,
        expression: s.spec.expression,
        timezone: s.spec.timezone,
        missed: s.missed,
        nextRun: nextRun(s.spec, dbNow),
      })),
    );
    this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Re-checks the schedules now (the clock jumped), instead of at the end of the sleep. */
  timeChanged(): void {
    if (this.stopped || !this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.loop();
  }

  private loop(): void {
    if (this.stopped) return;
    this.running = this.fireDue().then(
      (sleepMs) => this.sleep(sleepMs),
      (err) => {
        this.logger.warn({ err }, 'pgqueuer: scheduler could not check its schedules; retrying');
        this.sleep(RETRY_MS);
      },
    );
  }

  private sleep(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.loop();
    }, ms);
  }

  /** Fires every due tick; returns how long to sleep until the next one. */
  private async fireDue(): Promise<number> {
    const { rows, dbNow } = await this.backend.readSchedules([...this.schedules.keys()]);
    let sleepMs = MAX_SLEEP_MS;
    for (const row of rows) {
      const definition = this.schedules.get(row.name)!;
      let nextDue = row.nextRun;
      if (row.nextRun.getTime() <= dbNow.getTime()) {
        nextDue = await this.fire(definition, row, dbNow);
      }
      sleepMs = Math.min(sleepMs, nextDue.getTime() - dbNow.getTime() + WAKE_MARGIN_MS);
    }
    return Math.max(0, sleepMs);
  }

  private async fire(definition: ResolvedSchedule, row: ScheduleRow, dbNow: Date): Promise<Date> {
    const plan = planTick(definition, row.nextRun, dbNow);
    const { advanced, jobId } = await this.backend.fireTick({
      name: row.name,
      expected: row.nextRun,
      next: plan.next,
      scheduledAt: plan.scheduledAt,
      priority: definition.priority,
    });
    if (advanced && plan.missed) {
      this.logger.info({ schedule: row.name, missedSince: row.nextRun, ran: plan.scheduledAt }, 'pgqueuer: schedule had missed ticks');
    }
    if (advanced) this.logger.debug({ schedule: row.name, scheduledAt: plan.scheduledAt, jobId }, 'pgqueuer: schedule fired');
    // Whether this worker or another advanced it, the schedule's next tick is no earlier.
    return plan.next;
  }
}

/** What to do about a due tick: the tick to run (null: none) and the schedule's next run. */
export interface TickPlan {
  scheduledAt: Date | null;
  next: Date;
  /** The tick was late enough to count as missed (no worker ran the schedule). */
  missed: boolean;
}

/**
 * A tick due at `due`, seen at `dbNow`. On time, or a little late (a pause, a busy worker):
 * run it and move to the following one, so every tick runs even if several are due now.
 * Later than MISSED_AFTER_MS (nobody ran the schedule for a while): run the latest tick once,
 * or none under "skip", never the backlog. Pure.
 */
export function planTick(definition: Pick<ResolvedSchedule, 'spec' | 'missed'>, due: Date, dbNow: Date): TickPlan {
  if (dbNow.getTime() - due.getTime() <= MISSED_AFTER_MS) {
    return { scheduledAt: due, next: nextRun(definition.spec, due), missed: false };
  }
  return {
    scheduledAt: definition.missed === 'once' ? latestRun(definition.spec, dbNow) : null,
    next: nextRun(definition.spec, dbNow),
    missed: true,
  };
}
