/**
 * Least privilege with real roles: `pgq grant` gives a worker, a producer and a reader what
 * each needs. A producer enqueues, cancels and waits for jobs without being able to read any
 * payload; a reader changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ConfigError, grant, grantSql, install, PgQueuer, type Job } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runPgq } from '../support/pgq-cli.js';
import { FAST, startWorker } from '../support/queue.js';
import { deferred, until, within } from '../support/wait.js';

let db: TestDatabase;
const suffix = Math.random().toString(36).slice(2, 8);
const roles = { worker: `pgq_w_${suffix}`, producer: `pgq_p_${suffix}`, reader: `pgq_r_${suffix}` };
const urlAs = (role: string): string => {
  const url = new URL(db.url);
  url.username = role;
  url.password = 'secret';
  return url.toString();
};
const open: PgQueuer[] = [];
const connectAs = async (role: string, options = {}): Promise<PgQueuer> => {
  const pgq = await PgQueuer.connect(urlAs(role), { ...FAST, metrics: false, ...options });
  open.push(pgq);
  return pgq;
};
/** A query as `role`, returning the error code it fails with (or 'ok'). */
async function as(role: string, sql: string): Promise<string> {
  const client = new pg.Client({ connectionString: urlAs(role) });
  await client.connect();
  try {
    await client.query(sql);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await client.end();
  }
}

before(async () => {
  db = await createTestDatabase();
  await install(db.url);
  for (const role of Object.values(roles)) await db.pool.query(`CREATE ROLE ${role} LOGIN PASSWORD 'secret'`);
  const { code, stdout, stderr } = await runPgq(db.url, ['grant', '--worker', roles.worker, '--producer', roles.producer, '--reader', roles.reader]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^granted: \d+ statements \(worker pgq_w_\w+, producer pgq_p_\w+, reader pgq_r_\w+\)\n$/);
});
after(async () => {
  await Promise.all(open.map((p) => p.stop()));
  for (const role of Object.values(roles)) await db.pool.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => {});
  await db.drop();
});

describe('pgq grant', () => {
  test('--print shows the SQL without connecting; grant is idempotent; unknown roles and no roles are refused', async () => {
    const printed = await runPgq('postgres://nobody@127.0.0.1:1/none', ['grant', '--producer', 'app', '--print']);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /^GRANT USAGE ON SCHEMA "pgqueuer" TO "app";\n/);
    assert.match(printed.stdout, /GRANT SELECT \(id, entrypoint, dedupe_key, status, error\) ON "pgqueuer"\.jobs TO "app";/);
    assert.doesNotMatch(printed.stdout, /GRANT SELECT ON "pgqueuer"\.jobs/, 'no table-wide read for a producer');
    assert.deepEqual(grantSql({ reader: 'r' }, { schema: 'other' }).at(-1), 'GRANT SELECT ON "other".jobs, "other".job_log, "other".workers, "other".rate_limits, "other".schedules, "other".paused_entrypoints, "other".dedupe_reservations, "other".job_dependencies, "other".job_group_cursors TO "r"');

    assert.ok((await grant(db.url, { worker: roles.worker, reader: roles.reader })).length > 0, 'again: nothing fails');
    await assert.rejects(grant(db.url, { producer: 'no_such_role_x' }), (err: unknown) => err instanceof ConfigError && /no role "no_such_role_x": create it first/.test(err.message));
    const none = await runPgq(db.url, ['grant']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /name at least one role: worker, producer or reader/);
  });
});

describe('a producer', () => {
  test('enqueues (plain, batched, deduped, replaced, grouped), waits for results and errors, and cancels', async () => {
    const producer = await connectAs(roles.producer);
    const worker = await connectAs(roles.worker);
    const release = deferred();
    const running = deferred();
    worker.entrypoint('priv_ok', async (job: Job) => ({ doubled: (job.payload as { n: number }).n * 2 }));
    worker.entrypoint('priv_fail', async () => {
      throw new Error('nope');
    });
    worker.entrypoint('priv_slow', async () => {
      running.resolve();
      await release.promise;
    });
    const stop = startWorker(worker);
    try {
      const id = await producer.enqueue('priv_ok', { n: 21 });
      assert.deepEqual(await producer.waitFor(id, { timeoutMs: 20_000 }), { id, status: 'successful', result: { doubled: 42 } });
      // A grouped job lines up behind its group's queued jobs, which the producer cannot read.
      const grouped = await producer.enqueue('priv_ok', { n: 2 }, { group: 'tenant-a' });
      assert.deepEqual(await producer.waitFor(grouped, { timeoutMs: 20_000 }), { id: grouped, status: 'successful', result: { doubled: 4 } });
      const failed = await producer.waitFor(await producer.enqueue('priv_fail', {}), { timeoutMs: 20_000 });
      assert.deepEqual([failed.status, failed.error?.message], ['exception', 'nope']);

      const [a, b] = await producer.enqueueMany([
        { entrypoint: 'priv_later', payload: { v: 1 }, dedupeKey: 'k', executeAfter: 3_600_000 },
        { entrypoint: 'priv_later', payload: { v: 2 }, executeAfter: 3_600_000 },
      ]);
      assert.equal(await producer.enqueue('priv_later', { v: 3 }, { dedupeKey: 'k', onConflict: 'skip' }), a);
      assert.equal(await producer.enqueue('priv_later', { v: 4 }, { dedupeKey: 'k', onConflict: 'replace', group: 'tenant-b' }), a);
      assert.equal(await producer.enqueue('priv_later', {}, { dedupeKey: 'w', dedupeWindowMs: 60_000, executeAfter: 3_600_000 }) > 0, true);
      assert.deepEqual(await producer.cancel([a!, b!]), [a, b]);

      const slow = await producer.enqueue('priv_slow', {});
      await within(running.promise, 20_000, 'the slow job running');
      assert.deepEqual(await producer.cancel([slow]), [slow]);
      release.resolve();
      assert.equal((await producer.waitFor(slow, { timeoutMs: 20_000 })).status, 'canceled');
      const { rows } = await db.pool.query(`SELECT payload FROM pgqueuer.job_log WHERE job_id = $1 AND status = 'canceled'`, [a]);
      assert.deepEqual(rows, [{ payload: { v: 4 } }], 'the cancel kept the payload, which the producer cannot read');
    } finally {
      release.resolve();
      await stop();
    }
  });

  test('hands a job to an idle worker with its grants alone; with grants from before hand-off, enqueues the usual way', async () => {
    const idle = '00000000-0000-4000-8000-0000000000aa';
    await db.pool.query(`INSERT INTO pgqueuer.idle_workers VALUES ($1, '{priv_handed}', 5, now() + interval '1 minute', 'pgq_h_priv', 'sekrit')`, [idle]);
    const statusOf = async (id: number) => (await db.pool.query(`SELECT status, worker_id FROM pgqueuer.jobs WHERE id = $1`, [id])).rows[0];
    try {
      const producer = await connectAs(roles.producer);
      assert.deepEqual(await statusOf(await producer.enqueue('priv_handed', {})), { status: 'picked', worker_id: idle });
      await db.pool.query(`REVOKE ALL ON pgqueuer.idle_workers FROM ${roles.producer}`);
      assert.deepEqual(await statusOf(await producer.enqueue('priv_handed', {})), { status: 'queued', worker_id: null });
      assert.deepEqual(await statusOf(await producer.enqueue('priv_handed', {})), { status: 'queued', worker_id: null }, 'and from then on');
    } finally {
      await grant(db.url, { producer: roles.producer });
      await db.pool.query(`DELETE FROM pgqueuer.idle_workers; DELETE FROM pgqueuer.jobs WHERE entrypoint = 'priv_handed'`);
    }
  });

  test("a reader cannot read a waiting worker's channel or key", async () => {
    assert.equal(await as(roles.reader, 'SELECT worker_id, slots FROM pgqueuer.idle_workers'), 'ok');
    assert.equal(await as(roles.reader, 'SELECT channel FROM pgqueuer.idle_workers'), '42501');
    assert.equal(await as(roles.reader, 'SELECT secret FROM pgqueuer.idle_workers'), '42501');
  });

  test('cannot read a payload or headers, or change what it did not write', async () => {
    assert.equal(await as(roles.producer, 'SELECT payload FROM pgqueuer.jobs'), '42501');
    assert.equal(await as(roles.producer, 'SELECT headers FROM pgqueuer.job_log'), '42501');
    assert.equal(await as(roles.producer, 'SELECT * FROM pgqueuer.jobs'), '42501');
    assert.equal(await as(roles.producer, 'DELETE FROM pgqueuer.job_log'), '42501');
    assert.equal(await as(roles.producer, 'UPDATE pgqueuer.jobs SET worker_id = NULL'), '42501');
    assert.equal(await as(roles.producer, 'SELECT id, status FROM pgqueuer.jobs'), 'ok');
    const producer = await connectAs(roles.producer);
    await assert.rejects(producer.listJobs({}), (err: unknown) => /permission denied/.test(String((err as Error).message)));
  });
});

describe('a reader', () => {
  test('lists and inspects jobs and the queue, and changes nothing', async () => {
    const id = await (await connectAs(roles.producer)).enqueue('priv_read', { secret: false }, { executeAfter: 3_600_000 });
    const reader = await connectAs(roles.reader);
    assert.deepEqual((await reader.getJob(id))?.payload, { secret: false });
    assert.ok((await reader.listJobs({ entrypoint: 'priv_read' })).jobs.some((j) => j.id === id));
    assert.ok((await reader.queueSize()).some((r) => r.entrypoint === 'priv_read'));
    await assert.rejects(reader.enqueue('priv_read', {}), (err: unknown) => /permission denied/.test(String((err as Error).message)));
    await assert.rejects(reader.cancel([id]), (err: unknown) => /permission denied/.test(String((err as Error).message)));
    assert.equal(await as(roles.reader, 'DELETE FROM pgqueuer.jobs'), '42501');
    assert.equal(await as(roles.reader, 'UPDATE pgqueuer.schedules SET name = name'), '42501');
    const listed = await runPgq(urlAs(roles.reader), ['jobs', '--entrypoint', 'priv_read']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^${id}\\s+priv_read\\s+scheduled`, 'm'));
  });
});

describe('a worker', () => {
  test('runs jobs, schedules, retries, holds and prunes the log with its grants alone', async () => {
    const producer = await connectAs(roles.producer);
    // Entries are pruned a second after they end: soon, but not before the wait below reads them.
    const worker = await connectAs(roles.worker, { retention: { maxAgeMs: 1_000, intervalMs: 50 } });
    const ticked = deferred();
    let tries = 0;
    worker.entrypoint('priv_retry', { retry: { maxAttempts: 2, initialDelayMs: 0 } }, async () => {
      if (++tries === 1) throw new Error('once');
    });
    worker.entrypoint('priv_hold', { onFailure: 'hold' }, async () => {
      throw new Error('held');
    });
    worker.schedule('priv_tick', '* * * * * *', async () => ticked.resolve());
    await worker.pause('priv_paused');
    const stop = startWorker(worker);
    try {
      const [retried, held] = await producer.enqueueMany([{ entrypoint: 'priv_retry', payload: {} }, { entrypoint: 'priv_hold', payload: {} }]);
      const outcomes = await producer.waitForAll([retried!, held!], { timeoutMs: 20_000 });
      assert.deepEqual(outcomes.map((o) => o.status), ['successful', 'held']);
      await within(ticked.promise, 20_000, 'a schedule tick');
      await until(
        async () => (await db.pool.query('SELECT count(*)::int AS n FROM pgqueuer.job_log WHERE job_id = $1', [retried])).rows[0].n === 0,
        10_000,
        'the log pruned by the worker',
      );
    } finally {
      await stop();
    }
  });
});
