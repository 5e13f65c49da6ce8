import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { JobNotFoundError, PgQueuer, WaitTimeoutError } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { openQueue, startWorker } from '../support/queue.js';
import { deferred, until, within } from '../support/wait.js';

let db: TestDatabase;
let producer: PgQueuer;
let worker: PgQueuer;
let stopWorker: () => Promise<void>;
const gate = { open: deferred() };

before(async () => {
  db = await createTestDatabase();
  producer = await openQueue(db.url, { pollIntervalMs: 60_000 }); // waits are woken by NOTIFY only
  worker = await openQueue(db.url);
  worker.entrypoint('echo', async (job) => ({ echoed: job.payload }));
  worker.entrypoint('fail', async () => {
    throw new RangeError('out of range');
  });
  worker.entrypoint('gated', async (_job, ctx) => {
    await Promise.race([gate.open.promise, new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))]);
    return 'through the gate';
  });
  stopWorker = startWorker(worker);
});
after(async () => {
  gate.open.resolve();
  await stopWorker();
  await producer.stop();
  await db.drop();
});

describe('waitFor', () => {
  test('resolves with the stored result of a successful job', async () => {
    const id = await producer.enqueue('echo', { n: 1 });
    assert.deepEqual(await within(producer.waitFor(id, { timeoutMs: 10_000 }), 12_000, 'the job'), {
      id,
      status: 'successful',
      result: { echoed: { n: 1 } },
    });
  });

  test('resolves with status exception and the error of the last attempt', async () => {
    const id = await producer.enqueue('fail', {});
    const completion = await producer.waitFor(id, { timeoutMs: 10_000 });
    assert.equal(completion.status, 'exception');
    assert.equal(completion.error?.name, 'RangeError');
    assert.equal(completion.error?.message, 'out of range');
  });

  test('resolves with status canceled for a canceled queued job', async () => {
    const id = await producer.enqueue('echo', {}, { executeAfter: 60_000 });
    const waiting = producer.waitFor(id, { timeoutMs: 10_000 });
    await producer.cancel([id]);
    assert.equal((await waiting).status, 'canceled');
  });

  test('a timeout rejects with WaitTimeoutError and leaves the job alone', async () => {
    const id = await producer.enqueue('gated', {});
    await assert.rejects(producer.waitFor(id, { timeoutMs: 200 }), (err: unknown) => err instanceof WaitTimeoutError && err.jobId === id);
    const { rows } = await db.pool.query('SELECT status FROM pgqueuer.jobs WHERE id = $1', [id]);
    assert.ok(['queued', 'picked'].includes(rows[0].status));
    gate.open.resolve();
    assert.deepEqual(await producer.waitFor(id, { timeoutMs: 10_000 }), { id, status: 'successful', result: 'through the gate' });
  });

  test('an already finished job resolves at once; an unknown id rejects with JobNotFoundError', async () => {
    const id = await producer.enqueue('echo', 'early');
    await producer.waitFor(id);
    assert.equal((await producer.waitFor(id, { timeoutMs: 1_000 })).status, 'successful');
    await assert.rejects(producer.waitFor(987_654_321, { timeoutMs: 5_000 }), JobNotFoundError);
  });

  test('300 jobs awaited at once share one LISTEN connection', async () => {
    const ids = await producer.enqueueMany(Array.from({ length: 300 }, (_, i) => ({ entrypoint: 'echo', payload: i })));
    const waiting = producer.waitForAll(ids, { timeoutMs: 30_000 });
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN "pgq_pgqueuer_done"'`,
    );
    assert.equal(rows[0].n, 1);
    const completions = await waiting;
    assert.deepEqual(completions.map((c) => c.result), ids.map((_, i) => ({ echoed: i })));
  });

  test('a completion whose NOTIFY never came is found by polling', async () => {
    const polling = await openQueue(db.url, { pollIntervalMs: 100 });
    try {
      // A job finished by hand in SQL: no notification is sent.
      const { rows } = await db.pool.query(`INSERT INTO pgqueuer.jobs (entrypoint, status, payload) VALUES ('manual', 'picked', '{}') RETURNING id`);
      const id = Number(rows[0].id);
      const waiting = polling.waitFor(id, { timeoutMs: 5_000 });
      await until(async () => (await db.pool.query(`SELECT 1 FROM pg_stat_activity WHERE query = 'LISTEN "pgq_pgqueuer_done"'`)).rowCount! > 0, 5_000, 'the watcher');
      await db.pool.query(`WITH d AS (DELETE FROM pgqueuer.jobs WHERE id = $1 RETURNING *)
        INSERT INTO pgqueuer.job_log (job_id, entrypoint, priority, status, attempt, created_at, result) SELECT id, entrypoint, priority, 'successful', 1, created_at, '"by hand"' FROM d`, [id]);
      assert.deepEqual(await waiting, { id, status: 'successful', result: 'by hand' });
    } finally {
      await polling.stop();
    }
  });
});
