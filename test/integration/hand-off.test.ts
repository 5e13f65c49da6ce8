/**
 * Hand-off: the enqueue of one runnable job gives it straight to an idle worker, picked as it is
 * inserted, announced with the whole job (statements/hand-off.ts, worker/hand-off.ts). A job
 * handed off is picked in the transaction that created it, so its log row has
 * picked_at = created_at; a claimed one is picked later, by another transaction.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import type { Job, PgQueuer } from '../../src/index.js';
import { openQueue, startWorker } from '../support/queue.js';
import { db, producer, useFileDatabase } from '../support/file-database.js';
import { handOffKey } from '../../src/port/hand-off-key.js';
import { deferred, until, within } from '../support/wait.js';

useFileDatabase();

const FAKE_WORKER = '00000000-0000-4000-8000-00000000000f';

interface Entry {
  worker_id: string;
  slots: number;
  channel: string;
  secret: string;
}

/** The worker's entry in idle_workers, once it has one. */
async function waitingEntry(what: string): Promise<Entry> {
  return until(async () => (await db.pool.query(`SELECT worker_id, slots, channel, secret FROM pgqueuer.idle_workers`)).rows[0], 10_000, what);
}

/** Sends what a hand-off of job `id` sends, on `channel`, with `key`. */
async function announce(channel: string, id: number, entrypoint: string, key: string): Promise<void> {
  const job = { id, entrypoint, priority: 0, payload: { lost: true }, headers: {}, attempt: 1, rescues: 0, snoozes: 0, createdAtMs: Date.now(), cancelRequested: false, queuedMs: 0 };
  await db.pool.query(`SELECT pg_notify($1, $2)`, [channel, JSON.stringify({ t: 'assigned', k: key, b: 14, j: job })]);
}

/** A job as the hand-off leaves it in the database: picked by `workerId`, attempt 1. */
async function insertHandedOff(entrypoint: string, workerId: string): Promise<number> {
  const { rows } = await db.pool.query(
    `INSERT INTO pgqueuer.jobs (entrypoint, payload, status, worker_id, attempts, heartbeat, picked_at)
     VALUES ($1, '{"lost": true}', 'picked', $2, 1, now(), now()) RETURNING id`,
    [entrypoint, workerId],
  );
  return Number(rows[0].id);
}

async function jobRow(id: number): Promise<{ status: string; attempts: number; worker_id: string | null } | undefined> {
  return (await db.pool.query(`SELECT status, attempts, worker_id FROM pgqueuer.jobs WHERE id = $1`, [id])).rows[0];
}

/** Starts a worker of `entrypoint` and waits until it waits for hand-offs. */
async function idleWorker(entrypoint: string, handler: (job: Job) => Promise<unknown>, options = {}) {
  const worker: PgQueuer = await openQueue(db.url, { concurrency: 4, ...options });
  worker.entrypoint(entrypoint, { rescueAfterMs: 60_000 }, handler);
  const stop = startWorker(worker);
  const entry = await waitingEntry('the idle worker to wait for hand-offs');
  return { stop, entry, workerId: entry.worker_id, slots: entry.slots };
}

describe('hand-off to an idle worker', () => {
  test('a single enqueue is handed to the idle worker: picked by its own insert, run once, recorded like any job', async () => {
    const ran: number[] = [];
    const { stop, slots } = await idleWorker('handed', async (job) => {
      ran.push(job.attempt);
      return { doubled: (job.payload as { n: number }).n * 2 };
    });
    try {
      assert.equal(slots, 4, 'it offers its free slots');
      const id = await producer.enqueue('handed', { n: 21 });
      assert.deepEqual(await producer.waitFor(id, { timeoutMs: 10_000 }), { id, status: 'successful', result: { doubled: 42 } });
      const { rows } = await db.pool.query(`SELECT attempt, picked_at = created_at AS handed_off FROM pgqueuer.job_log WHERE job_id = $1`, [id]);
      assert.deepEqual(rows, [{ attempt: 1, handed_off: true }]);
      assert.deepEqual(ran, [1]);
    } finally {
      await stop();
    }
    assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM pgqueuer.idle_workers`)).rows[0].n, 0, 'a stopped worker waits for nothing');
  });

  test('a backlog takes the worker out of idle_workers; once it is drained it waits again', async () => {
    // The first jobs hold their slots until the entry is seen gone: a backlog that drained in
    // less than a poll would take the worker out and put it back before the test could look.
    const gate = deferred();
    const { stop } = await idleWorker('backlog', () => gate.promise);
    try {
      const ids = await producer.enqueueMany(Array.from({ length: 2_000 }, (_, i) => ({ entrypoint: 'backlog', payload: { i } })));
      await until(async () => (await db.pool.query(`SELECT count(*)::int AS n FROM pgqueuer.idle_workers`)).rows[0].n === 0, 10_000, 'a full claim to withdraw the entry');
      gate.resolve();
      await producer.waitFor(ids.at(-1)!, { timeoutMs: 30_000 });
      await waitingEntry('the drained worker to wait again');
    } finally {
      await stop();
    }
  });

  test('only a runnable, ungrouped, small job of a listed, unpaused entrypoint with nothing queued ahead, outside a transaction, to a live entry', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    const heard: Array<{ t: string; e?: string; k?: string; j?: { id: number; payload: unknown; attempt: number } }> = [];
    listener.on('notification', (n) => heard.push(JSON.parse(n.payload!)));
    await listener.query('LISTEN pgq_pgqueuer; LISTEN pgq_h_fake');
    const offer = (slots: number, expiresIn = '1 minute') =>
      db.pool.query(
        `INSERT INTO pgqueuer.idle_workers (worker_id, entrypoints, slots, expires_at, channel, secret)
         VALUES ($1, '{offered,alongside}', $2, now() + $3::interval, 'pgq_h_fake', 'sekrit')
         ON CONFLICT (worker_id) DO UPDATE SET slots = excluded.slots, expires_at = excluded.expires_at`,
        [FAKE_WORKER, slots, expiresIn],
      );
    const statusOf = async (id: number) => (await jobRow(id))!.status;
    try {
      await offer(2);
      const handed = await producer.enqueue('offered', { n: 1 });
      assert.deepEqual(await jobRow(handed), { status: 'picked', attempts: 1, worker_id: FAKE_WORKER });
      assert.equal((await db.pool.query(`SELECT slots FROM pgqueuer.idle_workers`)).rows[0].slots, 1, 'a slot taken');
      const announced = await until(() => heard.find((m) => m.t === 'assigned'), 5_000, 'the assigned notification');
      assert.equal(announced.k, handOffKey('sekrit', handed), 'on its channel, keyed with its secret');
      assert.deepEqual([announced.j!.id, announced.j!.payload, announced.j!.attempt], [handed, { n: 1 }, 1]);
      // Notifications arrive in commit order: once a later one is heard, any for the first would have been.
      await producer.enqueue('first-wake', {});
      await until(() => heard.some((m) => m.t === 'enqueued' && m.e === 'first-wake'), 5_000, 'a later notification');
      assert.ok(!heard.some((m) => m.t === 'enqueued' && m.e === 'offered'), 'no other worker is woken for a handed-off job');

      // Each job not handed off is deleted after, so it is not the queued job ahead of the next.
      const notOffered = async (id: number, status: string, why: string) => {
        assert.equal(await statusOf(id), status, why);
        await db.pool.query(`DELETE FROM pgqueuer.jobs WHERE id = $1`, [id]);
      };
      await notOffered(await producer.enqueue('other', {}), 'queued', 'an entrypoint it did not list');
      await notOffered(await producer.enqueue('offered', {}, { executeAfter: 60_000 }), 'scheduled', 'not runnable yet');
      await notOffered(await producer.enqueue('offered', {}, { group: 'tenant' }), 'queued', 'grouped jobs take turns');
      await notOffered(await producer.enqueue('offered', { big: 'x'.repeat(8_000) }), 'queued', 'too big for a notification');
      // Sent in 6,801 bytes, printed by jsonb with a space after each comma: 10,198.
      await notOffered(await producer.enqueue('offered', Array(3_400).fill(1)), 'queued', 'too big as jsonb prints it');
      // Printed longer too (1e300 written out), yet within the limit: handed off (its slot put back).
      assert.equal(await statusOf(await producer.enqueue('offered', { n: 1e300, m: Array(2_000).fill(1) })), 'picked', 'jsonb prints it longer, within the limit');
      await offer(1);
      const client = await db.pool.connect();
      let inTransaction: number;
      try {
        await client.query('BEGIN');
        inTransaction = await producer.enqueue('offered', {}, { client });
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      assert.equal(await statusOf(inTransaction), 'queued', "inside the caller's transaction");
      // That queued job is ahead of any new one now.
      assert.equal(await statusOf(await producer.enqueue('offered', {})), 'queued', 'a queued job ahead');
      await db.pool.query(`DELETE FROM pgqueuer.jobs WHERE status = 'queued'`);
      // So is one of another entrypoint the worker takes: its next claim would start that first.
      await db.pool.query(`INSERT INTO pgqueuer.jobs (entrypoint, payload) VALUES ('alongside', '{}')`);
      assert.equal(await statusOf(await producer.enqueue('offered', {})), 'queued', 'a queued job of another entrypoint it takes, ahead');
      await db.pool.query(`DELETE FROM pgqueuer.jobs WHERE status = 'queued'`);

      await producer.pause('offered');
      assert.equal(await statusOf(await producer.enqueue('offered', {})), 'queued', 'a paused entrypoint');
      await producer.resume('offered');
      await db.pool.query(`DELETE FROM pgqueuer.jobs WHERE status = 'queued'`);

      assert.equal(await statusOf(await producer.enqueue('offered', {})), 'picked', 'the last slot');
      assert.equal(await statusOf(await producer.enqueue('offered', {})), 'queued', 'no slot left');
      await db.pool.query(`DELETE FROM pgqueuer.jobs WHERE status = 'queued'`);
      await offer(5, '-1 second');
      // A producer of its own: this one saw no slot left, and skips hand-off for a moment.
      const fresh = await openQueue(db.url);
      try {
        assert.equal(await statusOf(await fresh.enqueue('offered', {})), 'queued', 'an expired entry');
      } finally {
        await fresh.stop();
      }

      await producer.enqueue('last-wake', {});
      await until(() => heard.some((m) => m.t === 'enqueued' && m.e === 'last-wake'), 5_000, 'a later notification');
      const picked = (await db.pool.query(`SELECT count(*)::int AS n FROM pgqueuer.jobs WHERE status = 'picked'`)).rows[0].n;
      assert.deepEqual([picked, heard.filter((m) => m.t === 'assigned').length], [3, 3], 'one notification per hand-off');
    } finally {
      await listener.end();
      await db.pool.query(`DELETE FROM pgqueuer.idle_workers; DELETE FROM pgqueuer.jobs`);
    }
  });

  test('jobs handed off while its listener was down go back to the queue once it is back, and run once', async () => {
    const ran: Array<{ id: number; attempt: number }> = [];
    const done = deferred();
    const { stop, workerId } = await idleWorker('lost', async (job) => {
      ran.push({ id: job.id, attempt: job.attempt });
      done.resolve();
    });
    try {
      // As a hand-off leaves it, without the notification: that went to the listener killed next.
      const id = await insertHandedOff('lost', workerId);
      await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`);
      await within(done.promise, 10_000, 'the lost job to run (its rescue window is a minute)');
      assert.deepEqual(ran, [{ id, attempt: 1 }], 'run once, as its first attempt');
    } finally {
      await stop();
    }
  });

  test('stopping gives back what was handed to the worker but never heard of, attempt unused; never what it claimed', async () => {
    const { stop, workerId } = await idleWorker('unheard', async () => {
      throw new Error('must not run');
    });
    let id: number;
    let claimed: number;
    try {
      id = await insertHandedOff('unheard', workerId);
      // As a claim leaves a job whose answer is still on its way: picked later than created.
      const { rows } = await db.pool.query(
        `INSERT INTO pgqueuer.jobs (entrypoint, payload, status, worker_id, attempts, heartbeat, picked_at, created_at)
         VALUES ('unheard', '{}', 'picked', $1, 1, now(), now(), now() - interval '1 second') RETURNING id`,
        [workerId],
      );
      claimed = Number(rows[0].id);
    } finally {
      await stop();
    }
    assert.deepEqual(await jobRow(id), { status: 'queued', attempts: 0, worker_id: null });
    assert.deepEqual(await jobRow(claimed), { status: 'picked', attempts: 1, worker_id: workerId }, 'left to the rescuer');
    await db.pool.query(`DELETE FROM pgqueuer.jobs`);
  });

  test('a hand-off that crossed a pause goes back unstarted, and runs once resumed', async () => {
    const ran = deferred<number>();
    const { stop, workerId, entry } = await idleWorker('crossing', async (job) => ran.resolve(job.id));
    try {
      await producer.pause('crossing');
      // Read before the pause committed, committed after it: the worker hears the pause first.
      const id = await insertHandedOff('crossing', workerId);
      await announce(entry.channel, id, 'crossing', handOffKey(entry.secret, id));
      await until(async () => (await jobRow(id))?.status === 'queued', 10_000, 'the job to go back');
      assert.deepEqual(await jobRow(id), { status: 'queued', attempts: 0, worker_id: null });
      await producer.resume('crossing');
      assert.equal(await within(ran.promise, 10_000, 'the job to run once resumed'), id);
    } finally {
      await stop();
    }
  });

  test('a hand-off notification not sent by an enqueue is not run: on the shared channel, or with a wrong key', async () => {
    const ran: number[] = [];
    const { stop, workerId, entry } = await idleWorker('forged', async (job) => void ran.push(job.id));
    try {
      const forged = await insertHandedOff('forged', workerId);
      await announce('pgq_pgqueuer', forged, 'forged', handOffKey(entry.secret, forged));
      await announce(entry.channel, forged, 'forged', handOffKey('guessed', forged));
      // Notifications arrive in order: once a genuine one has run, the forged ones were read.
      const genuine = await insertHandedOff('forged', workerId);
      await announce(entry.channel, genuine, 'forged', handOffKey(entry.secret, genuine));
      await until(() => ran.length > 0, 10_000, 'the genuine hand-off to run');
      assert.deepEqual(ran, [genuine]);
    } finally {
      await stop();
    }
    await db.pool.query(`DELETE FROM pgqueuer.jobs`);
  });

  test('a hand-off notification heard again (a replay of a genuine one) does not run its job twice', async () => {
    const ran: number[] = [];
    const { stop, workerId, entry } = await idleWorker('replayed', async (job) => void ran.push(job.id));
    try {
      const id = await insertHandedOff('replayed', workerId);
      await announce(entry.channel, id, 'replayed', handOffKey(entry.secret, id));
      await until(() => ran.length > 0, 10_000, 'the hand-off to run');
      await announce(entry.channel, id, 'replayed', handOffKey(entry.secret, id));
      // Notifications arrive in order: once the next one has run, the replay was read.
      const next = await insertHandedOff('replayed', workerId);
      await announce(entry.channel, next, 'replayed', handOffKey(entry.secret, next));
      await until(() => ran.includes(next), 10_000, 'the next hand-off to run');
      assert.deepEqual(ran, [id, next]);
    } finally {
      await stop();
    }
    await db.pool.query(`DELETE FROM pgqueuer.jobs`);
  });
});
