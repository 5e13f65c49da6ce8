import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, InvalidCronError, PgQueuer, type ScheduleTick } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { openQueue, startWorker } from '../support/queue.js';
import { countdown, deferred, until, within } from '../support/wait.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

async function scheduleRow(name: string) {
  return (await db.pool.query('SELECT next_run, last_run, expression FROM pgqueuer.schedules WHERE name = $1', [name])).rows[0];
}
async function tickJobs(name: string): Promise<number> {
  const { rows } = await db.pool.query(
    `SELECT (SELECT count(*) FROM pgqueuer.jobs WHERE entrypoint = $1) + (SELECT count(*) FROM pgqueuer.job_log WHERE entrypoint = $1)::int AS n`,
    [name],
  );
  return Number(rows[0].n);
}

describe('cron schedules', () => {
  test('three workers with a per-second schedule fire every tick exactly once', async () => {
    const ticks: Array<{ at: number; worker: number }> = [];
    const enough = countdown(6);
    const workers: PgQueuer[] = [];
    for (let w = 0; w < 3; w++) {
      const pgq = await openQueue(db.url);
      pgq.schedule('every_second', '* * * * * *', async (tick: ScheduleTick) => {
        ticks.push({ at: tick.scheduledAt.getTime(), worker: w });
        enough.tick();
      });
      workers.push(pgq);
    }
    const stops = workers.map(startWorker);
    try {
      await within(enough.done, 20_000, 'six ticks');
    } finally {
      await Promise.all(stops.map((stop) => stop()));
    }
    const times = ticks.map((t) => t.at).sort((a, b) => a - b);
    assert.equal(new Set(times).size, times.length, `a tick ran twice: ${times.map((t) => new Date(t).toISOString())}`);
    for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 1_000, 'no tick was skipped');
    for (const t of times) assert.equal(t % 1_000, 0, 'ticks are on the second');
    // Every fired tick is one job, run once.
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS runs, count(DISTINCT job_id)::int AS jobs FROM pgqueuer.job_log WHERE entrypoint = 'every_second' AND status = 'successful'`,
    );
    assert.deepEqual(rows[0], { runs: ticks.length, jobs: ticks.length });
  });

  test('missed ticks: "once" runs the latest missed tick once, "skip" runs none; both move on', async () => {
    const register = await openQueue(db.url);
    register.schedule('yearly_once', '0 0 1 1 *', async () => {}, { missed: 'once' });
    register.schedule('yearly_skip', '0 0 1 1 *', async () => {}, { missed: 'skip' });
    register.schedule('heartbeat_tick', '* * * * * *', async () => {});
    const stopRegister = startWorker(register);
    await until(() => scheduleRow('yearly_skip'), 5_000, 'registration');
    await stopRegister();
    // As if every worker had been down since before the last New Year.
    await db.pool.query(`UPDATE pgqueuer.schedules SET next_run = '2025-01-01T00:00:00Z' WHERE name LIKE 'yearly_%'`);

    const worker = await openQueue(db.url);
    const ran = deferred<Date>();
    let onceRuns = 0;
    worker.schedule('yearly_once', '0 0 1 1 *', async (tick) => {
      onceRuns++;
      ran.resolve(tick.scheduledAt);
    }, { missed: 'once' });
    let skipRuns = 0;
    worker.schedule('yearly_skip', '0 0 1 1 *', async () => {
      skipRuns++;
    }, { missed: 'skip' });
    const secondTicks = countdown(2);
    worker.schedule('heartbeat_tick', '* * * * * *', async () => secondTicks.tick());
    const stop = startWorker(worker);
    try {
      const scheduledAt = await within(ran.promise, 10_000, 'the missed tick');
      const { rows } = await db.pool.query('SELECT now() AS now');
      const thisYear = new Date(Date.UTC(rows[0].now.getUTCFullYear(), 0, 1));
      assert.equal(scheduledAt.toISOString(), thisYear.toISOString(), 'the latest missed tick, not the first');
      await within(secondTicks.done, 10_000, 'the scheduler to go round twice more');
    } finally {
      await stop();
    }
    assert.equal(onceRuns, 1);
    assert.equal(skipRuns, 0);
    assert.equal(await tickJobs('yearly_skip'), 0);
    for (const name of ['yearly_once', 'yearly_skip']) {
      const row = await scheduleRow(name);
      assert.ok(row.next_run.getTime() > Date.now(), `${name} moved on to the next New Year`);
    }
  });

  test('a schedule removed from the code stops firing', async () => {
    await db.pool.query(
      `INSERT INTO pgqueuer.schedules (name, expression, next_run) VALUES ('removed_from_code', '* * * * * *', now() - interval '1 second')`,
    );
    const before = await scheduleRow('removed_from_code');
    const worker = await openQueue(db.url);
    const kept = countdown(3);
    worker.schedule('kept', '* * * * * *', async () => kept.tick());
    const stop = startWorker(worker);
    try {
      await within(kept.done, 10_000, 'three ticks of the kept schedule');
    } finally {
      await stop();
    }
    assert.deepEqual(await scheduleRow('removed_from_code'), before);
    assert.equal(await tickJobs('removed_from_code'), 0);
  });

  test('a slow tick does not overlap the next one; allowOverlap lets them overlap', async () => {
    for (const allowOverlap of [false, true]) {
      const name = allowOverlap ? 'overlapping' : 'serial_ticks';
      const worker = await openQueue(db.url);
      const firstStarted = deferred();
      const release = deferred();
      const starts: number[] = [];
      let running = 0;
      let peak = 0;
      worker.schedule(name, '* * * * * *', async () => {
        starts.push(Date.now());
        peak = Math.max(peak, ++running);
        firstStarted.resolve();
        if (starts.length === 1) await release.promise;
        running--;
      }, { allowOverlap });
      const stop = startWorker(worker);
      try {
        await within(firstStarted.promise, 10_000, 'the first tick');
        if (allowOverlap) {
          await until(() => starts.length >= 2, 10_000, 'a second tick during the first');
        } else {
          // The next tick is fired and waits queued while the first runs.
          await until(async () => (await db.pool.query(`SELECT 1 FROM pgqueuer.jobs WHERE entrypoint = $1 AND status = 'queued'`, [name])).rowCount! > 0, 10_000, 'the second tick queued');
          assert.equal(starts.length, 1);
        }
        release.resolve();
        await until(() => starts.length >= 2 && running === 0, 10_000, 'the second tick');
      } finally {
        release.resolve();
        await stop();
      }
      assert.equal(peak, allowOverlap ? 2 : 1, name);
    }
  });

  test('changing a schedule\'s expression in code takes effect on the next start', async () => {
    const first = await openQueue(db.url);
    first.schedule('reshaped', '0 0 1 1 *', async () => {});
    const stopFirst = startWorker(first);
    await until(() => scheduleRow('reshaped'), 5_000, 'registration');
    await stopFirst();
    const yearly = await scheduleRow('reshaped');
    const second = await openQueue(db.url);
    const ran = deferred();
    second.schedule('reshaped', '* * * * * *', async () => ran.resolve());
    const stopSecond = startWorker(second);
    try {
      await within(ran.promise, 10_000, 'a tick of the new expression');
    } finally {
      await stopSecond();
    }
    assert.equal((await scheduleRow('reshaped')).expression, '* * * * * *');
    assert.ok((await scheduleRow('reshaped')).next_run < yearly.next_run);
  });

  test('bad schedules are refused when declared', async () => {
    const pgq = await openQueue(db.url);
    try {
      assert.throws(() => pgq.schedule('a', '* * * *', async () => {}), InvalidCronError);
      assert.throws(() => pgq.schedule('b', '0 3 * * *', async () => {}, { timezone: 'Nowhere/City' }), /unknown timezone/);
      assert.throws(() => pgq.schedule('c', '0 3 * * *', async () => {}, { missed: 'all' as never }), /missed must be "once" or "skip"/);
      assert.throws(() => pgq.schedule('d', '0 3 * * *', async () => {}, { tz: 'UTC' } as never), /unknown option "tz"/);
      pgq.entrypoint('taken', async () => {});
      assert.throws(() => pgq.schedule('taken', '0 3 * * *', async () => {}), ConfigError);
    } finally {
      await pgq.stop();
    }
  });
});
