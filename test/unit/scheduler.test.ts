import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import type { ResolvedSchedule } from '../../src/options.js';
import type { QueueBackend } from '../../src/port/queue-backend.js';
import type { FireTick, ScheduleRegistration } from '../../src/port/rows.js';
import { parseCron } from '../../src/scheduler/cron-spec.js';
import { planTick, Scheduler } from '../../src/scheduler/scheduler.js';
import type { ScheduleRow } from '../../src/types.js';
import { deferred, within } from '../support/wait.js';

const everyMinute = (missed: 'once' | 'skip' = 'once'): ResolvedSchedule => ({
  name: 'tick',
  spec: parseCron('* * * * *'),
  missed,
  priority: 3,
  entrypoint: { concurrencyLimit: 1 },
});
const at = (iso: string) => new Date(`2026-03-01T${iso}Z`);

test('planTick: a tick on time or a little late runs, and the next is the one after it', () => {
  assert.deepEqual(planTick(everyMinute(), at('10:00:00'), at('10:00:00.002')), { scheduledAt: at('10:00:00'), next: at('10:01:00'), missed: false });
  // Several ticks due at once (a busy worker): each runs in turn, none is skipped.
  assert.deepEqual(planTick(everyMinute(), at('10:00:00'), at('10:00:04')), { scheduledAt: at('10:00:00'), next: at('10:01:00'), missed: false });
});

test('planTick: ticks missed while no worker ran run once (the latest), or not at all under "skip"', () => {
  assert.deepEqual(planTick(everyMinute('once'), at('10:00:00'), at('10:07:30')), { scheduledAt: at('10:07:00'), next: at('10:08:00'), missed: true });
  assert.deepEqual(planTick(everyMinute('skip'), at('10:00:00'), at('10:07:30')), { scheduledAt: null, next: at('10:08:00'), missed: true });
});

/** A backend that knows only schedules: reads return `rows`, fires are recorded and advance them. */
function fakeBackend(rows: ScheduleRow[], now: Date) {
  const fired: FireTick[] = [];
  const registered: ScheduleRegistration[] = [];
  const firedOnce = deferred<FireTick>();
  const backend = {
    databaseNow: async () => now,
    registerSchedules: async (s: readonly ScheduleRegistration[]) => void registered.push(...s),
    readSchedules: async () => ({ rows: rows.map((r) => ({ ...r })), dbNow: now }),
    fireTick: async (tick: FireTick) => {
      fired.push(tick);
      firedOnce.resolve(tick);
      const row = rows.find((r) => r.name === tick.name)!;
      row.nextRun = tick.next;
      return { advanced: true, jobId: tick.scheduledAt ? 1 : null };
    },
  } as unknown as QueueBackend;
  return { backend, fired, registered, firedOnce: firedOnce.promise };
}

const row = (nextRun: Date): ScheduleRow => ({
  name: 'tick', expression: '* * * * *', timezone: 'UTC', missed: 'once', nextRun, lastRun: null, registeredAt: nextRun,
});

test('start() registers the schedules with their next run by the database clock, then fires a due tick', async () => {
  const { backend, fired, registered, firedOnce } = fakeBackend([row(at('10:00:00'))], at('10:00:01'));
  const scheduler = new Scheduler(backend, new Map([['tick', everyMinute()]]), silentLogger);
  await scheduler.start();
  const tick = await within(firedOnce, 2_000, 'the tick');
  await scheduler.stop();
  assert.deepEqual(registered, [{ name: 'tick', expression: '* * * * *', timezone: 'UTC', missed: 'once', nextRun: at('10:01:00') }]);
  // Compare-and-set from the value read, the tick's own time, the schedule's priority.
  assert.deepEqual(tick, { name: 'tick', expected: at('10:00:00'), next: at('10:01:00'), scheduledAt: at('10:00:00'), priority: 3 });
  assert.equal(fired.length, 1, 'the next tick is not due yet');
});

test('ticks due together (a busy worker) are each fired in turn, none skipped', async () => {
  const everySecond: ResolvedSchedule = { ...everyMinute(), spec: parseCron('* * * * * *') };
  const { backend, fired } = fakeBackend([row(at('10:00:00'))], at('10:00:02.500'));
  const third = deferred();
  const watched = { ...backend, fireTick: async (tick: FireTick) => {
    const answer = await backend.fireTick(tick);
    if (fired.length === 3) third.resolve();
    return answer;
  } } as QueueBackend;
  const scheduler = new Scheduler(watched, new Map([['tick', everySecond]]), silentLogger);
  await scheduler.start();
  await within(third.promise, 2_000, 'three ticks');
  await scheduler.stop();
  assert.deepEqual(fired.slice(0, 3).map((t) => t.scheduledAt), [at('10:00:00'), at('10:00:01'), at('10:00:02')]);
});

test('nothing due: no fire', async () => {
  const { backend, fired } = fakeBackend([row(at('10:01:00'))], at('10:00:01'));
  const scheduler = new Scheduler(backend, new Map([['tick', everyMinute()]]), silentLogger);
  await scheduler.start();
  await scheduler.stop();
  assert.equal(fired.length, 0);
});
