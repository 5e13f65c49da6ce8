/**
 * A worker's claims overlap its outcome writes, within a bound: with the writes stalled (the
 * job log locked by another transaction, as a slow or busy database would) the worker claims
 * on for about one target's worth, then stops, and the jobs whose outcomes wait keep their
 * heartbeats, so no other worker rescues them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_PREFETCH, MAX_PREFETCH_PAYLOAD_BYTES } from '../../src/worker/prefetch.js';
import { db, producer, useFileDatabase } from '../support/file-database.js';
import { openQueue, startWorker } from '../support/queue.js';
import { until } from '../support/wait.js';

useFileDatabase();

const picked = async (entrypoint: string): Promise<number> =>
  Number((await db.pool.query(`SELECT count(*) AS n FROM pgqueuer.jobs WHERE entrypoint = $1 AND status = 'picked'`, [entrypoint])).rows[0].n);

/** A claim statement is running in the test database (other than this query). */
const claiming = async (): Promise<boolean> =>
  Number((await db.pool.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state <> 'idle' AND query LIKE '%claim_jobs(%' AND pid <> pg_backend_pid()`)).rows[0].n) > 0;

/**
 * Waits for a worker whose outcome writes are stalled to stop claiming, and returns how many
 * jobs it holds: at least `atLeast` picked, each of them run (`ran()`), the count unchanged
 * since the last look, and no claim on its way (a claim of large payloads takes a while to
 * arrive, and its jobs count as picked only once it has).
 */
async function claimsSettled(entrypoint: string, ran: () => number, atLeast = 0): Promise<number> {
  let last = -1;
  return until(async () => {
    const now = await picked(entrypoint);
    const stable = now >= atLeast && now === last && now === ran() && !(await claiming());
    last = now;
    return stable ? now : undefined;
  }, 20_000, 'the claims to stop');
}

/** Holds an exclusive lock on the job log (outcome writes wait for it) until `release()`. */
async function stallOutcomeWrites(): Promise<{ release(): Promise<void> }> {
  const client = await db.pool.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE pgqueuer.job_log IN EXCLUSIVE MODE');
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await client.query('COMMIT');
      client.release();
    },
  };
}

describe('claims overlap outcome writes, within a bound', () => {
  test('while outcomes wait to be written the worker claims on, up to about one target more, then stops', async () => {
    const concurrency = 8;
    // More than the bound below, so stopping short of the queue's end is seen.
    const total = 3 * (concurrency + MAX_PREFETCH);
    await producer.enqueueMany(Array.from({ length: total }, () => ({ entrypoint: 'bp_fast', payload: {} })));
    const stall = await stallOutcomeWrites();
    const worker = await openQueue(db.url, { concurrency });
    let ran = 0;
    worker.entrypoint('bp_fast', async () => {
      ran++;
    });
    const stop = startWorker(worker);
    try {
      // The most a worker holds: its slots and claim-ahead (one target), plus up to one target
      // of outcomes waiting to be written.
      const bound = 2 * (concurrency + MAX_PREFETCH);
      // Claims went on past one target while no outcome could be written: without the overlap,
      // waiting outcomes would hold their slots and the worker would stop at one target.
      await until(async () => (await picked('bp_fast')) > concurrency + MAX_PREFETCH, 20_000, 'claims beyond one target');
      // ...and then stop: the count settles, below the bound, far below what is queued.
      const settled = await claimsSettled('bp_fast', () => ran);
      assert.ok(settled <= bound, `held ${settled} jobs, more than ${bound}`);
      assert.ok(settled < total);
    } finally {
      await stall.release();
    }
    await until(async () => (await picked('bp_fast')) === 0 && Number((await db.pool.query(`SELECT count(*) AS n FROM pgqueuer.jobs WHERE entrypoint = 'bp_fast'`)).rows[0].n) === 0, 30_000, 'the drain');
    await stop();
    const { rows } = await db.pool.query(`SELECT status, count(*)::int AS n FROM pgqueuer.job_log WHERE entrypoint = 'bp_fast' GROUP BY status`);
    assert.deepEqual(rows, [{ status: 'successful', n: total }]);
    assert.equal(ran, total, 'each job ran once');
  });

  test('with large payloads the claim-ahead holds about MAX_PREFETCH_PAYLOAD_BYTES of them, not MAX_PREFETCH jobs', async () => {
    const concurrency = 8;
    const payloadBytes = 100 * 1024;
    const aheadByPayload = Math.floor(MAX_PREFETCH_PAYLOAD_BYTES / payloadBytes);
    // Twice the slots and claim-ahead (outcomes waiting count up to one target more), and some.
    const bound = 2 * (concurrency + aheadByPayload);
    const total = bound + 150;
    assert.ok(total < MAX_PREFETCH, 'without the payload bound the worker would claim them all');
    const blob = 'x'.repeat(payloadBytes - 2); // a JSON string of payloadBytes characters
    for (let i = 0; i < total; i += 50) {
      await producer.enqueueMany(Array.from({ length: Math.min(50, total - i) }, () => ({ entrypoint: 'bp_large', payload: blob })));
    }
    const stall = await stallOutcomeWrites();
    const worker = await openQueue(db.url, { concurrency });
    let ran = 0;
    worker.entrypoint('bp_large', async () => {
      ran++;
    });
    const stop = startWorker(worker);
    try {
      const settled = await claimsSettled('bp_large', () => ran, concurrency + aheadByPayload);
      assert.ok(settled <= bound, `held ${settled} jobs of ${payloadBytes} bytes, more than ${bound}`);
      await stall.release();
      await until(async () => Number((await db.pool.query(`SELECT count(*) AS n FROM pgqueuer.jobs WHERE entrypoint = 'bp_large'`)).rows[0].n) === 0, 30_000, 'the drain');
    } finally {
      await stall.release();
      await stop();
    }
    assert.equal(ran, total, 'each job ran once');
  });

  test('a job whose outcome waits to be written keeps its heartbeat: another worker does not rescue it', async () => {
    const rescueAfterMs = 1_000;
    // Outcome writes fail (as over a failing connection, retried with backoff) while row locks
    // stay free, so another worker's rescuer could take the jobs if their heartbeats stopped.
    await db.pool.query(`
      CREATE TABLE bp_outage (down boolean NOT NULL);
      INSERT INTO bp_outage VALUES (true);
      CREATE FUNCTION bp_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT down FROM bp_outage) THEN RAISE EXCEPTION 'outcome writes are down'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER bp_refuse BEFORE INSERT ON pgqueuer.job_log
        FOR EACH ROW WHEN (NEW.entrypoint = 'bp_wait' AND NEW.status = 'successful') EXECUTE FUNCTION bp_refuse();`);
    await producer.enqueueMany(Array.from({ length: 20 }, () => ({ entrypoint: 'bp_wait', payload: {} })));
    const worker = await openQueue(db.url, { heartbeatIntervalMs: 100 });
    let runs = 0;
    worker.entrypoint('bp_wait', { rescueAfterMs }, async () => {
      runs++;
    });
    // A second worker of the same entrypoint, whose rescuer sweeps every 100 ms.
    const rescuer = await openQueue(db.url, { heartbeatIntervalMs: 100 });
    rescuer.entrypoint('bp_wait', { rescueAfterMs }, async () => {
      runs++;
    });
    const stopWorker = startWorker(worker);
    await until(async () => (await picked('bp_wait')) === 20 && runs === 20, 10_000, 'the jobs run');
    const stopRescuer = startWorker(rescuer);
    try {
      // Handlers are done, outcomes unwritten: wait well past the rescue window, by the database clock.
      await until(
        async () => (await db.pool.query(`SELECT min(picked_at) < now() - interval '2500 ms' AS old FROM pgqueuer.jobs WHERE entrypoint = 'bp_wait'`)).rows[0].old,
        10_000,
        'the jobs to be held past their rescue window',
      );
      const { rows } = await db.pool.query(
        `SELECT count(*)::int AS n, max(rescues) AS rescues FROM pgqueuer.jobs WHERE entrypoint = 'bp_wait' AND status = 'picked'`,
      );
      assert.deepEqual(rows[0], { n: 20, rescues: 0 });
      await db.pool.query('UPDATE bp_outage SET down = false');
      await until(async () => Number((await db.pool.query(`SELECT count(*) AS n FROM pgqueuer.jobs WHERE entrypoint = 'bp_wait'`)).rows[0].n) === 0, 10_000, 'the outcomes written');
      assert.equal(runs, 20, 'no job ran twice');
    } finally {
      await db.pool.query('UPDATE bp_outage SET down = false');
      await stopRescuer();
      await stopWorker();
    }
  });
});
