import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConnectionError, PgQueuer } from '../../src/index.js';
import { spawnTs } from '../support/child.js';
import { openQueue, startWorker } from '../support/queue.js';
import { countdown, deferred, until, within } from '../support/wait.js';
import { db, producer, useFileDatabase } from '../support/file-database.js';

const childWorker = fileURLToPath(new URL('../fixtures/child-worker.ts', import.meta.url));

useFileDatabase();

async function logOf(id: number) {
  const { rows } = await db.pool.query(
    `SELECT status, attempt, worker_id, error->>'name' AS error FROM pgqueuer.job_log WHERE job_id = $1 ORDER BY id`,
    [id],
  );
  return rows;
}

describe('worker processes that die or are stopped', () => {
  test('a worker SIGKILLed mid-job loses nothing: the job is rescued and run by another worker', async () => {
    const id = await producer.enqueue('child_job', { n: 1 });
    const child = spawnTs(childWorker, { DATABASE_URL: db.url, CHILD_MODE: 'hang' });
    await within(child.line(new RegExp(`^started ${id}$`)), 20_000, 'the child to start the job');
    const { rows } = await db.pool.query('SELECT worker_id FROM pgqueuer.jobs WHERE id = $1', [id]);
    const deadWorker = rows[0].worker_id;
    child.process.kill('SIGKILL');
    await child.exited;

    // The default policy allows one attempt: a run lost with its worker does not use it up.
    const rescuer = await openQueue(db.url);
    const ran = deferred<number>();
    rescuer.entrypoint('child_job', { rescueAfterMs: 500 }, async (job) => ran.resolve(job.attempt));
    const stop = startWorker(rescuer);
    try {
      assert.equal(await within(ran.promise, 10_000, 'the rescued job'), 2);
    } finally {
      await stop();
    }
    const log = await logOf(id);
    assert.deepEqual(
      log.map((r) => [r.status, r.attempt, r.error]),
      [
        ['rescued', 1, 'HeartbeatTimeout'],
        ['successful', 2, null],
      ],
    );
    assert.equal(log[0].worker_id, deadWorker);
  });

  test('SIGTERM loses nothing: running handlers finish and are recorded, the rest stays queued', async () => {
    const total = 120;
    const ids = await producer.enqueueMany(Array.from({ length: total }, (_, i) => ({ entrypoint: 'child_job', payload: { i } })));
    const child = spawnTs(childWorker, { DATABASE_URL: db.url, CHILD_MODE: 'work', CHILD_JOB_MS: '40', CHILD_CONCURRENCY: '8' });
    await within(child.lines_(/^finished /, 20), 20_000, 'the child to finish 20 jobs');
    child.process.kill('SIGTERM');
    const exit = await within(child.exited, 15_000, 'the child to exit');
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(child.lines.at(-1), 'stopped');

    const started = child.lines.filter((l) => l.startsWith('started ')).length;
    const finished = child.lines.filter((l) => l.startsWith('finished ')).length;
    assert.equal(finished, started, 'every handler that started was allowed to finish');
    const { rows: live } = await db.pool.query(
      `SELECT status, count(*)::int AS n FROM pgqueuer.jobs WHERE id = ANY($1) GROUP BY status`,
      [ids],
    );
    assert.deepEqual(live, [{ status: 'queued', n: total - finished }], 'nothing left picked');
    const { rows: logged } = await db.pool.query(
      `SELECT count(*)::int AS n FROM pgqueuer.job_log WHERE job_id = ANY($1) AND status = 'successful'`,
      [ids],
    );
    assert.equal(logged[0].n, finished, 'every finished job was recorded before exit');

    // Another worker takes the rest; every job ends successful exactly once.
    const rest = countdown(total - finished);
    const worker = await openQueue(db.url);
    worker.entrypoint('child_job', { rescueAfterMs: 500 }, async () => rest.tick());
    const stop = startWorker(worker);
    try {
      await within(rest.done, 20_000, 'the remaining jobs');
    } finally {
      await stop();
    }
    const { rows: final } = await db.pool.query(
      `SELECT count(*)::int AS runs, count(DISTINCT job_id)::int AS jobs, count(*) FILTER (WHERE status <> 'successful')::int AS other
       FROM pgqueuer.job_log WHERE job_id = ANY($1)`,
      [ids],
    );
    assert.deepEqual(final[0], { runs: total, jobs: total, other: 0 });
  });

  test('a handler still running at the shutdown timeout is aborted and its job goes back to the queue', async () => {
    const id = await producer.enqueue('child_job', { n: 'stuck' });
    const child = spawnTs(childWorker, { DATABASE_URL: db.url, CHILD_MODE: 'hang', CHILD_SHUTDOWN_MS: '300' });
    await within(child.line(new RegExp(`^started ${id}$`)), 20_000, 'the child to start the job');
    child.process.kill('SIGTERM');
    assert.deepEqual(await within(child.exited, 15_000, 'the child to exit'), { code: 0, signal: null });
    const { rows } = await db.pool.query('SELECT status, attempts, worker_id FROM pgqueuer.jobs WHERE id = $1', [id]);
    assert.deepEqual(rows[0], { status: 'queued', attempts: 1, worker_id: null });
    assert.deepEqual((await logOf(id)).map((r) => [r.status, r.attempt, r.error]), [['rescued', 1, 'ShutdownTimeout']]);
  });

  test('a job whose workers keep dying is failed after 5 rescues instead of killing more workers', async () => {
    const id = await producer.enqueue('poison', {});
    // As if five workers had died running it.
    await db.pool.query(`UPDATE pgqueuer.jobs SET rescues = 6, attempts = 6 WHERE id = $1`, [id]);
    const worker = await openQueue(db.url);
    let ran = false;
    worker.entrypoint('poison', async () => {
      ran = true;
    });
    const stop = startWorker(worker);
    try {
      await until(async () => (await logOf(id)).length > 0, 5_000, 'the outcome');
    } finally {
      await stop();
    }
    assert.equal(ran, false);
    assert.deepEqual((await logOf(id)).map((r) => [r.status, r.error]), [['exception', 'TooManyRescues']]);
  });
});

describe('database connection failures', () => {
  test('an unreachable database fails fast with a ConnectionError naming the target', async () => {
    const started = Date.now();
    await assert.rejects(PgQueuer.connect('postgres://postgres@127.0.0.1:1/nowhere'), (err: unknown) => {
      assert.ok(err instanceof ConnectionError);
      assert.match(err.message, /^cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/nowhere: .*ECONNREFUSED/);
      return true;
    });
    assert.ok(Date.now() - started < 3_000);
  });

  test('a server that accepts but never answers fails at the connection timeout, not later', async () => {
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    const started = Date.now();
    try {
      await assert.rejects(
        PgQueuer.connect({ connectionString: `postgres://postgres@127.0.0.1:${port}/x`, connectionTimeoutMillis: 500 }),
        (err: unknown) => err instanceof ConnectionError && /timeout/i.test(err.message),
      );
      assert.ok(Date.now() - started < 3_000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  test('the listener re-LISTENs after its connection is killed, and notifications flow again', async () => {
    // A one-minute poll: only notifications can start jobs quickly.
    const worker = await openQueue(db.url, { pollIntervalMs: 60_000, heartbeatIntervalMs: 30_000 });
    const ran = deferred();
    worker.entrypoint('after_relisten', { rescueAfterMs: 100_000 }, async () => ran.resolve());
    const stop = startWorker(worker);
    const listenerPid = async (): Promise<number | undefined> =>
      (await db.pool.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN "pgq_pgqueuer"'`)).rows[0]?.pid;
    try {
      const first = await until(listenerPid, 5_000, 'the listener');
      await db.pool.query('SELECT pg_terminate_backend($1)', [first]);
      const second = await until(async () => {
        const pid = await listenerPid();
        return pid !== first ? pid : undefined;
      }, 10_000, 'a new listener');
      assert.notEqual(second, first);
      await producer.enqueue('after_relisten', {});
      await within(ran.promise, 5_000, 'the job after re-LISTEN');
    } finally {
      await stop();
    }
  });

  test('after every worker connection is killed the worker reconnects and carries on', async () => {
    const worker = await PgQueuer.connect({ connectionString: db.url, application_name: 'victim' }, { pollIntervalMs: 200, heartbeatIntervalMs: 100 });
    const done = countdown(20);
    worker.entrypoint('survivor', async () => done.tick());
    const stop = startWorker(worker);
    try {
      await producer.enqueue('survivor', {});
      await until(() => done.seen === 1, 5_000, 'a first job');
      await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'victim'`);
      await producer.enqueueMany(Array.from({ length: 19 }, () => ({ entrypoint: 'survivor', payload: {} })));
      await within(done.done, 15_000, 'the jobs after the connections were killed');
    } finally {
      await stop();
    }
  });
});
