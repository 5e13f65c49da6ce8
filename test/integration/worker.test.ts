import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ConfigError,
  JobAbandonedSignal,
  JobCanceledSignal,
  PermanentJobError,
  PgQueuer,
  StateError,
  type Job,
} from '../../src/index.js';
import { recordingPool } from '../support/database.js';
import { FAST, openQueue, startWorker } from '../support/queue.js';
import { countdown, deferred, until, within } from '../support/wait.js';
import { db, producer, useFileDatabase } from '../support/file-database.js';

useFileDatabase();

/** Log entries by job, each job's in the order they were written ("id" below is the job's). */
async function logRows(entrypoint: string) {
  const { rows } = await db.pool.query(
    `SELECT job_id::int AS id, status, attempt, error, result, picked_at, finished_at
     FROM pgqueuer.job_log WHERE entrypoint = $1 ORDER BY job_log.job_id, job_log.id`,
    [entrypoint],
  );
  return rows;
}

describe('claiming and running', () => {
  test('2,000 jobs are each run exactly once by two workers', async () => {
    const total = 2_000;
    const runs = new Map<number, string[]>();
    const allDone = countdown(total);
    const workers = await Promise.all([openQueue(db.url), openQueue(db.url)]);
    workers.forEach((w, i) =>
      w.entrypoint('exactly_once', async (job) => {
        runs.set(job.id, [...(runs.get(job.id) ?? []), `w${i}`]);
        allDone.tick();
      }),
    );
    const stops = workers.map(startWorker);
    const ids = await producer.enqueueMany(Array.from({ length: total }, (_, i) => ({ entrypoint: 'exactly_once', payload: { i } })));
    await within(allDone.done, 60_000, `${total} jobs`);
    await Promise.all(stops.map((stop) => stop()));

    assert.equal(runs.size, total);
    const twice = [...runs].filter(([, by]) => by.length > 1);
    assert.deepEqual(twice, [], 'no job ran twice');
    assert.deepEqual([...runs.keys()].sort((a, b) => a - b), ids);
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT job_id)::int AS distinct_jobs FROM pgqueuer.job_log WHERE entrypoint = 'exactly_once' AND status = 'successful'`,
    );
    assert.deepEqual(rows[0], { n: total, distinct_jobs: total });
    assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM pgqueuer.jobs WHERE entrypoint = 'exactly_once'`)).rows[0].n, 0);
  });

  test('a busy worker claims again as soon as its outcomes are written, not at its next poll', async () => {
    // No poll for a minute: only the written outcomes can trigger the claims after the first.
    const worker = await openQueue(db.url, { pollIntervalMs: 60_000 });
    const total = 3_000;
    const allDone = countdown(total);
    worker.entrypoint('no_poll_needed', async () => allDone.tick());
    const stop = startWorker(worker);
    await producer.enqueueMany(Array.from({ length: total }, () => ({ entrypoint: 'no_poll_needed', payload: {} })));
    await within(allDone.done, 30_000, `${total} jobs without a poll`);
    await stop();
  });

  test('higher priority first, then oldest first', async () => {
    const priorities = [0, 5, 1, 5, 3, 0, 9];
    const ids = [];
    for (const priority of priorities) ids.push(await producer.enqueue('ordered', { priority }, { priority }));
    const expected = ids
      .map((id, i) => ({ id, priority: priorities[i]! }))
      .sort((a, b) => b.priority - a.priority || a.id - b.id)
      .map((j) => j.id);
    const order: number[] = [];
    const done = countdown(ids.length);
    const worker = await openQueue(db.url, { concurrency: 1 });
    worker.entrypoint('ordered', async (job) => {
      order.push(job.id);
      done.tick();
    });
    const stop = startWorker(worker);
    await within(done.done, 10_000, 'ordered jobs');
    await stop();
    assert.deepEqual(order, expected);
  });

  test('a deferred job waits for its time (database clock) and then starts without waiting for a poll', async () => {
    // A one-minute poll: only the notification's due-time hint can start the job on time.
    const worker = await openQueue(db.url, { pollIntervalMs: 60_000 });
    const started = deferred<Date>();
    worker.entrypoint('deferred', async () => {
      const { rows } = await db.pool.query('SELECT clock_timestamp() AS t');
      started.resolve(rows[0].t);
    });
    const stop = startWorker(worker);
    try {
      const id = await producer.enqueue('deferred', {}, { executeAfter: 700 });
      const { rows } = await db.pool.query('SELECT execute_after FROM pgqueuer.jobs WHERE id = $1', [id]);
      const startedAt = await within(started.promise, 5_000, 'the deferred job');
      const early = rows[0].execute_after.getTime() - startedAt.getTime();
      assert.ok(early <= 0, `started ${early} ms before its time`);
      assert.ok(-early < 1_500, `started ${-early} ms late`);
    } finally {
      await stop();
    }
  });

  test('the handler sees id, entrypoint, payload, attempt, priority, headers, createdAt; its result is logged', async () => {
    const worker = await openQueue(db.url);
    const seen = deferred<Job>();
    worker.entrypoint('shape', async (job) => {
      seen.resolve(job);
      return { echoed: job.payload };
    });
    const stop = startWorker(worker);
    const id = await producer.enqueue('shape', { x: 1 }, { priority: 3, headers: { h: 'v' } });
    const job = await within(seen.promise, 5_000, 'the job');
    await stop();
    assert.equal(job.id, id);
    assert.equal(job.entrypoint, 'shape');
    assert.deepEqual(job.payload, { x: 1 });
    assert.equal(job.attempt, 1);
    assert.equal(job.priority, 3);
    assert.deepEqual(job.headers, { h: 'v' });
    assert.ok(job.createdAt instanceof Date);
    const [row] = await logRows('shape');
    assert.equal(row.status, 'successful');
    assert.deepEqual(row.result, { echoed: { x: 1 } });
  });

  test('completions and claims are batched: far fewer statements than jobs', async () => {
    const { pool, statements } = recordingPool(db.url);
    const total = 1_000;
    await producer.enqueueMany(Array.from({ length: total }, (_, i) => ({ entrypoint: 'batched', payload: { i } })));
    const worker = await PgQueuer.fromPool(pool, { ...FAST, heartbeatIntervalMs: 10_000 });
    const done = countdown(total);
    worker.entrypoint('batched', async () => done.tick());
    const stop = startWorker(worker);
    await within(done.done, 30_000, 'batched jobs');
    await stop();
    await pool.end();
    const completes = statements.filter((s) => s.includes('INSERT INTO "pgqueuer".job_log') && s.includes('retried')).length;
    const claims = statements.filter((s) => s.includes('claim_jobs')).length;
    assert.ok(completes <= total / 10, `${completes} completion statements for ${total} jobs`);
    assert.ok(claims <= total / 10, `${claims} claim statements for ${total} jobs`);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM pgqueuer.job_log WHERE entrypoint = 'batched' AND status = 'successful'`);
    assert.equal(rows[0].n, total);
  });
});

describe('an idle worker', () => {
  test('does not poll faster than its poll interval (nothing scheduled, nothing queued)', async () => {
    const { pool, statements } = recordingPool(db.url);
    const worker = await PgQueuer.fromPool(pool, { pollIntervalMs: 1_000, heartbeatIntervalMs: 100 });
    worker.entrypoint('idle_entrypoint', async () => {});
    const stop = startWorker(worker);
    try {
      // Ten heartbeats (about a second) are the clock here.
      await until(() => statements.filter((s) => s.includes('SET heartbeat')).length >= 10, 10_000, 'ten heartbeats');
    } finally {
      await stop();
      await pool.end();
    }
    const claims = statements.filter((s) => s.includes('claim_jobs')).length;
    assert.ok(claims <= 4, `${claims} claims in about one poll interval`);
  });
});

describe('retries', () => {
  test('attempts 1..n with growing backoff, each error logged, then the job ends as exception', async () => {
    const worker = await openQueue(db.url);
    const attempts: number[] = [];
    const lastAttempt = deferred();
    worker.entrypoint('flaky', { retry: { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 1_000 } }, async (job) => {
      attempts.push(job.attempt);
      if (job.attempt === 4) lastAttempt.resolve();
      throw new Error(`failure on attempt ${job.attempt}`);
    });
    const stop = startWorker(worker);
    const id = await producer.enqueue('flaky', {});
    await within(lastAttempt.promise, 10_000, 'the fourth attempt');
    await stop();
    assert.deepEqual(attempts, [1, 2, 3, 4]);
    const rows = await logRows('flaky');
    assert.deepEqual(rows.map((r) => [r.id, r.status, r.attempt]), [
      [id, 'retried', 1],
      [id, 'retried', 2],
      [id, 'retried', 3],
      [id, 'exception', 4],
    ]);
    rows.forEach((r, i) => {
      assert.equal(r.error.message, `failure on attempt ${i + 1}`);
      assert.match(r.error.stack, /failure on attempt/);
    });
    // Backoff doubles from 100 ms, with equal jitter: at least 50, 100, 200 ms between attempts.
    for (let i = 1; i < rows.length; i++) {
      const gap = rows[i].picked_at.getTime() - rows[i - 1].finished_at.getTime();
      assert.ok(gap >= 50 * 2 ** (i - 1) - 5, `gap before attempt ${i + 1} was ${gap} ms`);
    }
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM pgqueuer.jobs WHERE id = $1', [id])).rows[0].n, 0);
  });

  test('PermanentJobError ends the job at once, whatever the retry policy', async () => {
    const worker = await openQueue(db.url);
    const ran = countdown(1);
    worker.entrypoint('permanent', { retry: { maxAttempts: 5, initialDelayMs: 0 } }, async () => {
      ran.tick();
      throw new PermanentJobError('record was deleted');
    });
    const stop = startWorker(worker);
    await producer.enqueue('permanent', {});
    await within(ran.done, 5_000, 'the job');
    await stop();
    const rows = await logRows('permanent');
    assert.deepEqual(rows.map((r) => [r.status, r.attempt, r.error.name]), [['exception', 1, 'PermanentJobError']]);
    assert.equal(ran.seen, 1);
  });

  test('a handler that throws synchronously or throws a non-Error fails only its job', async () => {
    const worker = await openQueue(db.url);
    const handled = countdown(3);
    worker.entrypoint('throwers', (job) => {
      handled.tick();
      const kind = (job.payload as { kind: string }).kind;
      if (kind === 'sync') throw new TypeError('sync failure');
      if (kind === 'string') return Promise.reject('just a string');
      return 'fine';
    });
    const stop = startWorker(worker);
    await producer.enqueueMany(['sync', 'string', 'ok'].map((kind) => ({ entrypoint: 'throwers', payload: { kind } })));
    await within(handled.done, 5_000, 'three jobs');
    await stop();
    const rows = await logRows('throwers');
    assert.deepEqual(
      rows.map((r) => [r.status, r.error?.name ?? null, r.error?.message ?? null]),
      [
        ['exception', 'TypeError', 'sync failure'],
        ['exception', 'NonErrorThrown', 'just a string'],
        ['successful', null, null],
      ],
    );
  });
});

describe('cancellation', () => {
  test('a queued job is removed and never runs; cancel returns what it found', async () => {
    const id = await producer.enqueue('cancel_queued', {}, { executeAfter: 60_000 });
    assert.deepEqual(await producer.cancel([id, 999_999_999]), [id]);
    const rows = await logRows('cancel_queued');
    assert.deepEqual(rows.map((r) => [r.id, r.status]), [[id, 'canceled']]);
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM pgqueuer.jobs WHERE id = $1', [id])).rows[0].n, 0);
  });

  test('a running job sees ctx.signal abort with JobCanceledSignal, ends canceled, and is not retried', async () => {
    // No poll and no heartbeat for a minute: only the NOTIFY can deliver the cancellation.
    const worker = await openQueue(db.url, { heartbeatIntervalMs: 60_000, pollIntervalMs: 60_000 });
    const started = deferred();
    const aborted = deferred<unknown>();
    worker.entrypoint('cancel_running', { retry: { maxAttempts: 3, initialDelayMs: 0 }, rescueAfterMs: 300_000 }, async (_job, ctx) => {
      started.resolve();
      await new Promise((_, reject) =>
        ctx.signal.addEventListener('abort', () => {
          aborted.resolve(ctx.signal.reason);
          reject(ctx.signal.reason);
        }),
      );
    });
    const stop = startWorker(worker);
    const id = await producer.enqueue('cancel_running', {});
    await within(started.promise, 5_000, 'the job to start');
    assert.deepEqual(await producer.cancel([id]), [id]);
    const reason = await within(aborted.promise, 5_000, 'the abort');
    assert.ok(reason instanceof JobCanceledSignal && reason.jobId === id);
    await stop();
    const rows = await logRows('cancel_running');
    assert.deepEqual(rows.map((r) => [r.status, r.attempt, r.error.name]), [['canceled', 1, 'JobCanceledSignal']]);
  });

  test('a cancellation whose NOTIFY was missed still reaches the job through its heartbeat', async () => {
    const worker = await openQueue(db.url, { heartbeatIntervalMs: 50 });
    const started = deferred();
    const aborted = deferred<unknown>();
    worker.entrypoint('cancel_by_heartbeat', async (_job, ctx) => {
      started.resolve();
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      aborted.resolve(ctx.signal.reason);
    });
    const stop = startWorker(worker);
    const id = await producer.enqueue('cancel_by_heartbeat', {});
    await within(started.promise, 5_000, 'the job to start');
    // Flag it the way cancel() does, but without a notification.
    await db.pool.query('UPDATE pgqueuer.jobs SET cancel_requested = true WHERE id = $1', [id]);
    assert.ok((await within(aborted.promise, 5_000, 'the abort')) instanceof JobCanceledSignal);
    await stop();
  });
});

describe('heartbeats and ownership', () => {
  test('a long job keeps its heartbeat fresh and is not rescued', async () => {
    const worker = await openQueue(db.url, { heartbeatIntervalMs: 50 });
    const runs = countdown(1);
    const release = deferred();
    worker.entrypoint('long', { rescueAfterMs: 300 }, async () => {
      runs.tick();
      await release.promise;
    });
    const stop = startWorker(worker);
    const id = await producer.enqueue('long', {});
    await within(runs.done, 5_000, 'the job to start');
    const beats = new Set<number>();
    await until(async () => {
      const { rows } = await db.pool.query('SELECT heartbeat FROM pgqueuer.jobs WHERE id = $1', [id]);
      beats.add(rows[0].heartbeat.getTime());
      return beats.size >= 8; // 8 distinct heartbeats span > 2 × rescueAfterMs
    }, 5_000, 'heartbeats');
    release.resolve();
    await stop();
    assert.equal(runs.seen, 1);
    assert.deepEqual((await logRows('long')).map((r) => r.status), ['successful']);
  });

  test('a worker that lost its job to another worker aborts the handler and its outcome is ignored', async () => {
    const worker = await openQueue(db.url, { heartbeatIntervalMs: 50 });
    const started = deferred();
    const aborted = deferred<unknown>();
    worker.entrypoint('taken_over', async (_job, ctx) => {
      started.resolve();
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => {
        aborted.resolve(ctx.signal.reason);
        resolve();
      }));
      return 'finished anyway';
    });
    const stop = startWorker(worker);
    const id = await producer.enqueue('taken_over', {});
    await within(started.promise, 5_000, 'the job to start');
    // Another worker takes the job over (what a rescue after a long stall does).
    await db.pool.query(`UPDATE pgqueuer.jobs SET worker_id = gen_random_uuid(), attempts = attempts + 1 WHERE id = $1`, [id]);
    const reason = await within(aborted.promise, 5_000, 'the abort');
    assert.ok(reason instanceof JobAbandonedSignal && reason.why === 'lost');
    await stop();
    assert.deepEqual(await logRows('taken_over'), []);
    const { rows } = await db.pool.query('SELECT status FROM pgqueuer.jobs WHERE id = $1', [id]);
    assert.equal(rows[0].status, 'picked', 'the new owner still holds it');
  });
});

describe('claiming ahead (prefetch)', () => {
  /**
   * A worker with one slot whose jobs either block until released or take `workMs`. After a
   * warm-up of quick jobs it holds one job claimed ahead of its slot; after slow ones, none.
   */
  async function prefetching(entrypoint: string, options: { workMs: number; rescueAfterMs?: number }) {
    const worker = await openQueue(db.url, { concurrency: 1, heartbeatIntervalMs: 50 });
    const release = deferred();
    const blocking = deferred();
    const ran: number[] = [];
    worker.entrypoint(entrypoint, { rescueAfterMs: options.rescueAfterMs ?? 30_000 }, async (job) => {
      ran.push(job.id);
      if ((job.payload as { block?: boolean }).block) {
        blocking.resolve();
        await release.promise;
      } else if (options.workMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, options.workMs));
      }
    });
    const stop = startWorker(worker);
    const warmUp = await producer.enqueueMany(Array.from({ length: 5 }, () => ({ entrypoint, payload: {} })));
    await until(async () => (await logRows(entrypoint)).length === warmUp.length, 10_000, 'the warm-up jobs');
    // One statement, so one claim sees both: the blocker takes the slot, the other waits.
    const [blocker, next] = await producer.enqueueMany([
      { entrypoint, payload: { block: true } },
      { entrypoint, payload: {} },
    ]);
    await within(blocking.promise, 5_000, 'the blocking job to start');
    const row = async (id: number) => (await db.pool.query('SELECT status, attempts, worker_id, heartbeat FROM pgqueuer.jobs WHERE id = $1', [id])).rows[0];
    return { worker, stop, release, ran, blocker: blocker!, next: next!, row };
  }

  test('fast handlers: the next job is claimed ahead, heartbeated while it waits, and runs once', async () => {
    const w = await prefetching('prefetch_fast', { workMs: 0, rescueAfterMs: 300 });
    assert.equal((await w.row(w.next)).status, 'picked', 'claimed ahead');
    assert.ok(!w.ran.includes(w.next), 'not started: the only slot is busy');
    const beats = new Set<number>();
    await until(async () => {
      beats.add((await w.row(w.next)).heartbeat.getTime());
      return beats.size >= 8; // 8 distinct heartbeats span > 2 × rescueAfterMs
    }, 5_000, 'heartbeats of the job claimed ahead');
    w.release.resolve();
    await until(async () => (await logRows('prefetch_fast')).length === 7, 5_000, 'both jobs');
    await w.stop();
    assert.equal(w.ran.filter((id) => id === w.next).length, 1);
    assert.deepEqual((await logRows('prefetch_fast')).filter((r) => r.id === w.next).map((r) => [r.status, r.attempt]), [['successful', 1]]);
  });

  test('slow handlers: nothing is claimed ahead, so another worker can take it', async () => {
    const w = await prefetching('prefetch_slow', { workMs: 120 });
    // The claim that took the blocker is done: the job behind it was left in the queue.
    await until(async () => (await w.row(w.blocker)).status === 'picked', 5_000, 'the blocker claimed');
    assert.equal((await w.row(w.next)).status, 'queued');
    w.release.resolve();
    await w.stop();
  });

  test('a job canceled while claimed ahead ends canceled without running', async () => {
    const w = await prefetching('prefetch_cancel', { workMs: 0 });
    assert.equal((await w.row(w.next)).status, 'picked');
    assert.deepEqual(await producer.cancel([w.next]), [w.next]);
    await until(async () => (await logRows('prefetch_cancel')).some((r) => r.id === w.next), 5_000, 'the cancellation logged');
    w.release.resolve();
    await w.stop();
    assert.ok(!w.ran.includes(w.next));
    assert.deepEqual((await logRows('prefetch_cancel')).filter((r) => r.id === w.next).map((r) => r.status), ['canceled']);
  });

  test('on stop, a job claimed ahead goes straight back to the queue with its attempt unused', async () => {
    const w = await prefetching('prefetch_stop', { workMs: 0 });
    assert.equal((await w.row(w.next)).status, 'picked');
    const stopped = w.stop();
    // Released while the running job is still being waited for.
    await until(async () => (await w.row(w.next)).status === 'queued', 5_000, 'the job released');
    assert.deepEqual(await w.row(w.next), { status: 'queued', attempts: 0, worker_id: null, heartbeat: null });
    w.release.resolve();
    await stopped;
    assert.ok(!w.ran.includes(w.next));
  });
});

describe('lifecycle', () => {
  test('stop() is safe on an instance that never ran, and twice', async () => {
    const pgq = await openQueue(db.url);
    await pgq.stop();
    await pgq.stop();
  });

  test('run() twice, run() with no entrypoints, entrypoint() while running are clear errors', async () => {
    const empty = await openQueue(db.url);
    await assert.rejects(empty.run({ handleSignals: false }), (err: unknown) => err instanceof ConfigError && /no entrypoints registered/.test(err.message));

    const pgq = await openQueue(db.url);
    pgq.entrypoint('noop', async () => {});
    const stop = startWorker(pgq);
    await assert.rejects(pgq.run({ handleSignals: false }), StateError);
    assert.throws(() => pgq.entrypoint('late', async () => {}), StateError);
    await stop();
  });

  test('entrypoint options are validated, naming the entrypoint and the option', async () => {
    const pgq = await openQueue(db.url);
    try {
      assert.throws(() => pgq.entrypoint('a', { concurrencyLimit: 0 }, async () => {}), /entrypoint "a": concurrencyLimit must be a positive integer/);
      assert.throws(() => pgq.entrypoint('b', { retry: { maxAttempts: 2.5 } }, async () => {}), /entrypoint "b": retry.maxAttempts/);
      assert.throws(() => pgq.entrypoint('c', { rateLimit: { perSecond: -1 } }, async () => {}), /entrypoint "c": rateLimit.perSecond/);
      assert.throws(() => pgq.entrypoint('d', { concurency: 3 } as never, async () => {}), /entrypoint "d": unknown option "concurency"/);
      assert.throws(() => pgq.entrypoint('e', { retry: { maxAttempts: 3, initialDelayMs: 500, maxDelayMs: 100 } }, async () => {}), /maxDelayMs \(100\) is below/);
      pgq.entrypoint('f', async () => {});
      assert.throws(() => pgq.entrypoint('f', async () => {}), /already registered/);
      await assert.rejects(PgQueuer.connect(db.url, { concurrency: 0 }), /concurrency must be a positive integer/);
    } finally {
      await pgq.stop();
    }
    const tooEager = await openQueue(db.url, { heartbeatIntervalMs: 1_000 });
    tooEager.entrypoint('eager', { rescueAfterMs: 1_500 }, async () => {});
    await assert.rejects(tooEager.run({ handleSignals: false }), /rescueAfterMs \(1500\) must exceed twice heartbeatIntervalMs/);
  });

  test('the worker registers itself while running and unregisters on stop', async () => {
    const pgq = await openQueue(db.url);
    pgq.entrypoint('registered', async () => {});
    const stop = startWorker(pgq);
    await until(async () => (await db.pool.query('SELECT 1 FROM pgqueuer.workers WHERE id = $1', [pgq.workerId])).rowCount === 1, 5_000, 'registration');
    const { rows } = await db.pool.query('SELECT pid, entrypoints FROM pgqueuer.workers WHERE id = $1', [pgq.workerId]);
    assert.deepEqual(rows[0], { pid: process.pid, entrypoints: ['registered'] });
    await stop();
    assert.equal((await db.pool.query('SELECT 1 FROM pgqueuer.workers WHERE id = $1', [pgq.workerId])).rowCount, 0);
  });
});
