/**
 * The chaos suite, short version (CI): faults injected into real PostgreSQL and real worker
 * processes while jobs flow, and a ledger that proves nothing was lost. Seeds are fixed; set
 * CHAOS_SEED to replay a run with another. `npm run soak` runs the long version.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import pg from 'pg';
import { DuplicateJobError, PgQueuer, type Job } from '../../src/index.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/postgres/embedded.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { deferred, until, within } from '../support/wait.js';
import { Fleet, type FleetWorker } from './support/fleet.js';
import { Ledger, LEDGER_SCHEMA, random, recordRun, seedFor, type Verdict } from './support/ledger.js';

const databases: TestDatabase[] = [];
after(async () => {
  await Promise.all(databases.map((d) => d.drop()));
});

/** A database of the scenario's own, with pgqueuer and the ledger tables installed. */
async function scenarioDb(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  databases.push(db);
  const pgq = await PgQueuer.connect(db.url, { install: true, metrics: false });
  await pgq.stop();
  await db.pool.query(LEDGER_SCHEMA);
  return db;
}

/** Enqueues `count` chaos jobs in batches, noting each key's outcome in the ledger. */
async function produce(producer: PgQueuer, ledger: Ledger, prefix: string, count: number, batch: number, between?: () => Promise<void>): Promise<void> {
  for (let i = 0; i < count; i += batch) {
    const keys = Array.from({ length: Math.min(batch, count - i) }, (_, j) => `${prefix}-${i + j}`);
    try {
      await producer.enqueueMany(keys.map((k) => ({ entrypoint: 'chaos', payload: { k } })));
      for (const k of keys) ledger.note(k, 'ok');
    } catch {
      // The connection may have died before or after the commit: the jobs may exist or not.
      for (const k of keys) ledger.note(k, 'indeterminate');
    }
    await between?.();
  }
}

/** Waits until every acknowledged job ended (the ledger finds none lost), then judges. */
async function settle(ledger: Ledger, db: pg.Pool, ms: number): Promise<Verdict> {
  let last: Verdict | undefined;
  try {
    await until(async () => ((last = await ledger.verdict(db)).lost.length === 0 ? true : undefined), ms, 'every acknowledged job to finish');
  } catch {
    // Judged below with the last verdict, so a failure shows what was lost.
  }
  return last ?? ledger.verdict(db);
}

function assertSound(t: TestContext, verdict: Verdict, seed: number): void {
  t.diagnostic(`seed ${seed}: ${JSON.stringify({ ...verdict, lost: verdict.lost.length, unexpected: verdict.unexpected.length, unexplained: verdict.unexplained.length })}`);
  const replay = `(replay with CHAOS_SEED=${seed})`;
  assert.deepEqual(verdict.lost.slice(0, 10), [], `lost jobs ${replay}`);
  assert.deepEqual(verdict.unexpected.slice(0, 10), [], `unexpected outcomes ${replay}`);
  assert.deepEqual(verdict.unexplained.slice(0, 10), [], `unexplained duplicates ${replay}`);
}

/** The chaos worker's handler, in this process: records the run in the ledger, then returns. */
function ledgerHandler(ledger: pg.Pool, tag: string) {
  return (job: Job): Promise<void> => recordRun(ledger, job, tag, true);
}
const CHAOS_ENTRYPOINT = { rescueAfterMs: 1_000, retry: { maxAttempts: 100, initialDelayMs: 20, maxDelayMs: 250 } };

describe('processes killed', () => {
  test('workers SIGKILLed at random points (claiming, mid-handler, completing) lose nothing', { timeout: 180_000 }, async (t) => {
    const seed = seedFor(1001);
    const rand = random(seed);
    const db = await scenarioDb();
    const ledger = new Ledger();
    const fleet = new Fleet({
      DATABASE_URL: db.url,
      CHAOS_SEED: String(seed),
      WORK_MAX_MS: '4',
      DIE_MID_HANDLER: '0.002',
      DIE_COMPLETING: '0.002',
    });
    let finishing = false;
    const failures: unknown[] = [];
    // Keeps three workers up: whichever dies (killed here, or by its own hand) is replaced.
    const supervise = (worker: FleetWorker): void => {
      void worker.exited.then(({ signal }) => {
        if (signal === 'SIGKILL' && !fleet.killed.includes(worker.tag)) fleet.killed.push(worker.tag);
        if (!finishing) fleet.start().then(supervise, (err) => failures.push(err));
      });
    };
    const producer = await PgQueuer.connect(db.url, { metrics: false });
    try {
      for (let i = 0; i < 3; i++) supervise(await fleet.start());
      let producing = true;
      const chaos = (async () => {
        while (producing) {
          await new Promise((resolve) => setTimeout(resolve, 150 + rand() * 450));
          const alive = [...fleet.workers];
          const victim = alive[Math.floor(rand() * alive.length)];
          if (victim && producing) await fleet.kill(victim);
        }
      })();
      // About 8 s of enqueueing, so the kills land among claims, handlers and completions.
      await produce(producer, ledger, 'kill', 2_000, 40, () => new Promise((resolve) => setTimeout(resolve, 150)));
      producing = false;
      await chaos;
      const verdict = await settle(ledger, db.pool, 60_000);
      // No graceful stop here: these workers may kill themselves at any moment (DIE_*), also
      // while stopping. The verdict is in; the finally block kills them.
      finishing = true;
      assert.deepEqual(failures, []);
      assertSound(t, verdict, seed);
      assert.ok(fleet.killed.length >= 8, `only ${fleet.killed.length} kills happened`);
      assert.equal(verdict.enqueued.ok, 2_000);
      // Self-kills mid-handler make this certain; the other phases depend on timing.
      assert.ok(verdict.interruptedAttempts.midHandler > 0, 'some kills hit a running handler');
      assert.ok(verdict.duplicated > 0 && verdict.duplicated === Object.values(verdict.explained).reduce((a, b) => a + b, 0));
    } finally {
      finishing = true;
      await fleet.destroy();
      await producer.stop();
    }
  });

  test('a rolling restart of three workers while 10,000 jobs flow: nothing lost, nothing run twice', { timeout: 180_000 }, async (t) => {
    const seed = seedFor(1002);
    const db = await scenarioDb();
    const ledger = new Ledger();
    // Nothing is killed here, so no rescue is needed; a generous rescue window keeps a worker
    // starved of CPU for a second (CI runs several files at once) from being taken for dead.
    const fleet = new Fleet({ DATABASE_URL: db.url, CHAOS_SEED: String(seed), WORK_MAX_MS: '2', CONCURRENCY: '16', RESCUE_AFTER_MS: '15000' });
    const producer = await PgQueuer.connect(db.url, { metrics: false });
    try {
      const workers = [await fleet.start(), await fleet.start(), await fleet.start()];
      const flow = produce(producer, ledger, 'roll', 10_000, 100, () => new Promise((resolve) => setTimeout(resolve, 10)));
      // Two rounds: each worker in turn is stopped gracefully and replaced.
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < workers.length; i++) {
          await fleet.terminate(workers[i]!);
          workers[i] = await fleet.start();
        }
      }
      await flow;
      const verdict = await settle(ledger, db.pool, 60_000);
      await Promise.all(workers.map((w) => fleet.terminate(w)));
      assertSound(t, verdict, seed);
      assert.equal(verdict.enqueued.ok, 10_000);
      assert.equal(verdict.duplicated, 0, 'a graceful stop finishes or gives back every job: none runs twice');
    } finally {
      await fleet.destroy();
      await producer.stop();
    }
  });
  test('flows while workers are SIGKILLed: every last job runs after both its parents succeeded, none stranded blocked', { timeout: 180_000 }, async (t) => {
    const seed = seedFor(1004);
    const rand = random(seed);
    const db = await scenarioDb();
    const ledger = new Ledger();
    const fleet = new Fleet({ DATABASE_URL: db.url, CHAOS_SEED: String(seed), WORK_MAX_MS: '4', DIE_MID_HANDLER: '0.003', DIE_COMPLETING: '0.003' });
    let finishing = false;
    const supervise = (worker: FleetWorker): void => {
      void worker.exited.then(() => {
        if (!finishing) void fleet.start().then(supervise, () => {});
      });
    };
    const producer = await PgQueuer.connect(db.url, { metrics: false });
    try {
      for (let i = 0; i < 3; i++) supervise(await fleet.start());
      let producing = true;
      const chaos = (async () => {
        while (producing) {
          await new Promise((resolve) => setTimeout(resolve, 200 + rand() * 400));
          const victim = [...fleet.workers][Math.floor(rand() * fleet.workers.size)];
          if (victim && producing) await fleet.kill(victim);
        }
      })();
      // Each flow: two chaos jobs, and a last job after both, in one call (so parents finish
      // while their children are being enqueued, and while workers die).
      const flows = 400;
      for (let i = 0; i < flows; i += 10) {
        const items = Array.from({ length: 10 }, (_, j) => [
          { entrypoint: 'chaos', payload: { k: `flow-${i + j}-a` } },
          { entrypoint: 'chaos', payload: { k: `flow-${i + j}-b` } },
          { entrypoint: 'chaos_flow', payload: { k: `flow-${i + j}-c` }, after: [{ item: 3 * j }, { item: 3 * j + 1 }] },
        ]).flat();
        const keys = items.map((item) => (item.payload as { k: string }).k);
        try {
          await producer.enqueueMany(items);
          for (const k of keys) ledger.note(k, 'ok');
        } catch {
          for (const k of keys) ledger.note(k, 'indeterminate');
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      producing = false;
      await chaos;
      const verdict = await settle(ledger, db.pool, 90_000);
      finishing = true;
      assertSound(t, verdict, seed);
      assert.equal(verdict.enqueued.ok, 3 * flows);
      const { rows } = await db.pool.query<{ runs: number; early: number; children: number }>(
        'SELECT count(*)::int AS runs, count(*) FILTER (WHERE NOT parents_ok)::int AS early, count(DISTINCT job_id)::int AS children FROM chaos_flow',
      );
      assert.equal(rows[0]!.children, flows, 'every last job ran');
      assert.equal(rows[0]!.early, 0, 'no last job ran before both its parents succeeded');
      const blocked = await db.pool.query("SELECT count(*)::int AS n FROM pgqueuer.jobs WHERE status = 'blocked'");
      assert.equal(blocked.rows[0].n, 0, 'none stranded blocked');
      assert.ok(fleet.killed.length >= 5, `only ${fleet.killed.length} kills happened`);
    } finally {
      finishing = true;
      await fleet.destroy();
      await producer.stop();
    }
  });
});

describe('many workers', () => {
  test('twelve worker processes with heartbeats and outcome writes crossing: no deadlock, nothing lost', { timeout: 180_000 }, async (t) => {
    const seed = seedFor(1003);
    const db = await scenarioDb();
    const ledger = new Ledger();
    // Heartbeats every 20 ms cross the outcome writes of the same jobs all the time.
    const fleet = new Fleet({ DATABASE_URL: db.url, CHAOS_SEED: String(seed), WORK_MAX_MS: '20', CONCURRENCY: '8', HEARTBEAT_MS: '20', RESCUE_AFTER_MS: '15000' });
    const producer = await PgQueuer.connect(db.url, { metrics: false });
    const deadlocks = async (): Promise<number> =>
      Number((await db.pool.query('SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()')).rows[0].deadlocks);
    const before = await deadlocks();
    try {
      const workers = await Promise.all(Array.from({ length: 12 }, () => fleet.start()));
      await produce(producer, ledger, 'many', 6_000, 100, () => new Promise((resolve) => setTimeout(resolve, 10)));
      const verdict = await settle(ledger, db.pool, 90_000);
      await Promise.all(workers.map((w) => fleet.terminate(w)));
      assertSound(t, verdict, seed);
      // Each worker's backends report their counts as they close.
      assert.equal(await deadlocks(), before, 'deadlocks detected by PostgreSQL');
    } finally {
      await fleet.destroy();
      await producer.stop();
    }
  });
});

describe('the database fails', () => {
  test('a restart of PostgreSQL, a killed listener and all connections killed: nothing lost', { timeout: 180_000 }, async (t) => {
    const seed = seedFor(2001);
    // A server of this test's own: it is stopped and started again mid-run.
    const dataDir = mkdtempSync(join(tmpdir(), 'pgq-chaos-'));
    let server: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir });
    const port = server.port;
    const url = server.url;
    const workers: PgQueuer[] = [];
    let producer: PgQueuer | undefined;
    const ledgerPool = new pg.Pool({ connectionString: url, max: 4 });
    ledgerPool.on('error', () => {});
    const admin = new pg.Pool({ connectionString: url, max: 2 });
    admin.on('error', () => {});
    try {
      const setup = await PgQueuer.connect(url, { install: true, metrics: false });
      await setup.stop();
      await admin.query(LEDGER_SCHEMA);
      const ledger = new Ledger();
      for (const tag of ['a', 'b']) {
        const w = await PgQueuer.connect(url, { pollIntervalMs: 200, heartbeatIntervalMs: 200, concurrency: 8, metrics: false });
        w.entrypoint('chaos', CHAOS_ENTRYPOINT, ledgerHandler(ledgerPool, tag));
        workers.push(w);
      }
      const runs = workers.map((w) => w.run({ handleSignals: false }));
      producer = await PgQueuer.connect(url, { metrics: false });
      const done = async (n: number) =>
        until(async () => Number((await admin.query('SELECT count(*) AS n FROM chaos_exec')).rows[0].n) >= n || undefined, 60_000, `${n} runs`);

      await produce(producer, ledger, 'before', 300, 30);
      await done(100);
      // The listeners' backends die: they must LISTEN again (and polling covers the gap).
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()`);
      await produce(producer, ledger, 'listener', 300, 30);
      // Every connection of the database dies at once.
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
      await produce(producer, ledger, 'connections', 300, 30);
      await done(400);
      // The server goes down mid-run and comes back on the same port.
      const flow = produce(producer, ledger, 'restart', 600, 30, () => new Promise((resolve) => setTimeout(resolve, 20)));
      await server.stop();
      server = await startEmbeddedPostgres({ dataDir, port });
      await flow;
      await produce(producer, ledger, 'after', 300, 30);

      const verdict = await settle(ledger, admin, 90_000);
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(runs);
      assertSound(t, verdict, seed);
      assert.ok(verdict.enqueued.ok >= 1_200, `most enqueues succeeded (${JSON.stringify(verdict.enqueued)})`);
    } finally {
      await Promise.all(workers.map((w) => w.stop().catch(() => {})));
      await producer?.stop().catch(() => {});
      await ledgerPool.end().catch(() => {});
      await admin.end().catch(() => {});
      await server.stop().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a read-only failover and back, a 1 ms statement timeout, a privilege revoked mid-run: nothing lost', { timeout: 180_000 }, async (t) => {
    const seed = seedFor(2002);
    const db = await scenarioDb();
    const ledger = new Ledger();
    // The workers log in as a role of their own, so a privilege can be taken from them alone.
    const role = `chaos_worker_${db.name.slice(-8)}`;
    await db.pool.query(`CREATE ROLE ${role} LOGIN PASSWORD 'chaos'`);
    await db.pool.query(`GRANT USAGE ON SCHEMA pgqueuer, public TO ${role};
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pgqueuer, public TO ${role};
      GRANT USAGE ON ALL SEQUENCES IN SCHEMA pgqueuer TO ${role};
      GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pgqueuer TO ${role}`);
    const workerUrl = new URL(db.url);
    workerUrl.username = role;
    workerUrl.password = 'chaos';
    // The test's own session, opened before any fault: ALTER DATABASE settings reach new sessions only.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const rollbacks = async (): Promise<number> =>
      Number((await admin.query('SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()')).rows[0].xact_rollback);
    const killSessions = () => admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
    /** Keeps a fault on until the database has rolled back `n` more transactions: statements have hit it. */
    const hold = async (what: string, n: number): Promise<void> => {
      const start = await rollbacks();
      await until(async () => (await rollbacks()) - start >= n || undefined, 30_000, what);
    };
    const ledgerPool = new pg.Pool({ connectionString: db.url, max: 4 });
    ledgerPool.on('error', () => {});
    const workers: PgQueuer[] = [];
    let producer: PgQueuer | undefined;
    try {
      for (const tag of ['a', 'b']) {
        const w = await PgQueuer.connect(workerUrl.toString(), { pollIntervalMs: 200, heartbeatIntervalMs: 200, concurrency: 8, metrics: false });
        w.entrypoint('chaos', CHAOS_ENTRYPOINT, ledgerHandler(ledgerPool, tag));
        workers.push(w);
      }
      const runs = workers.map((w) => w.run({ handleSignals: false }));
      producer = await PgQueuer.connect(db.url, { metrics: false });
      let flowing = true;
      const flow = (async () => {
        for (let round = 0; flowing; round++) await produce(producer!, ledger, `fault-${round}`, 100, 20, () => new Promise((resolve) => setTimeout(resolve, 20)));
      })();

      // A failover to a read-only standby: every session is cut, the new ones cannot write.
      await admin.query(`ALTER DATABASE ${db.name} SET default_transaction_read_only = on`);
      await killSessions();
      await hold('writes refused while read-only', 20);
      await admin.query(`ALTER DATABASE ${db.name} RESET default_transaction_read_only`);
      await killSessions();

      await admin.query(`ALTER DATABASE ${db.name} SET statement_timeout = 1`);
      await killSessions();
      await hold('statements timed out', 20);
      await admin.query(`ALTER DATABASE ${db.name} RESET statement_timeout`);
      await killSessions();

      await admin.query(`REVOKE UPDATE, DELETE ON pgqueuer.jobs FROM ${role}`);
      await hold('the workers refused', 20);
      await admin.query(`GRANT UPDATE, DELETE ON pgqueuer.jobs TO ${role}`);

      flowing = false;
      await flow;
      const verdict = await settle(ledger, db.pool, 90_000);
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(runs);
      assertSound(t, verdict, seed);
      assert.ok(verdict.enqueued.ok > 0);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await producer?.stop();
      await ledgerPool.end();
      await admin.query(`ALTER DATABASE ${db.name} RESET ALL`).catch(() => {});
      // Its grants first (they live in this database), then the role itself (the cluster's).
      await admin.query(`DROP OWNED BY ${role}`).catch(() => {});
      await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
      await admin.end();
    }
  });

  test('a job inserted without NOTIFY is found by polling within one poll interval', async () => {
    const db = await scenarioDb();
    const pollIntervalMs = 500;
    const worker = await PgQueuer.connect(db.url, { pollIntervalMs, metrics: false });
    const started = deferred<number>();
    worker.entrypoint('silent', async () => started.resolve(Date.now()));
    const running = worker.run({ handleSignals: false });
    try {
      // Wait for the worker's first, empty claim, so the job below can only be found by a poll.
      await until(async () => (await db.pool.query('SELECT count(*)::int AS n FROM pgqueuer.workers')).rows[0].n === 1 || undefined, 10_000, 'the worker');
      const client = await db.pool.connect();
      let insertedAt: number;
      try {
        // replica mode skips triggers: the insert sends no NOTIFY, as if it had been lost.
        await client.query('SET session_replication_role = replica');
        await client.query(`INSERT INTO pgqueuer.jobs (entrypoint, payload) VALUES ('silent', '{}')`);
        insertedAt = Date.now();
        await client.query('RESET session_replication_role');
      } finally {
        client.release();
      }
      const at = await within(started.promise, 10_000, 'the job to be found');
      // One poll interval, plus slack for a loaded machine.
      assert.ok(at - insertedAt! < pollIntervalMs + 1_000, `found after ${at - insertedAt!} ms`);
    } finally {
      await worker.stop();
      await running;
    }
  });

  test('completions that hit a serialization failure and a lock timeout are retried, not lost or re-run', async (t) => {
    const db = await scenarioDb();
    // The first two statements writing to the log fail: 40001, then 55P03. A sequence counts
    // them, because it is not rolled back with the failed statement.
    await db.pool.query(`
      CREATE SEQUENCE chaos_log_writes;
      CREATE FUNCTION chaos_fail_twice() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE n bigint := nextval('chaos_log_writes');
      BEGIN
        IF n = 1 THEN RAISE EXCEPTION 'injected serialization failure' USING ERRCODE = '40001'; END IF;
        IF n = 2 THEN RAISE EXCEPTION 'injected lock timeout' USING ERRCODE = '55P03'; END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER chaos_fail_twice BEFORE INSERT ON pgqueuer.job_log FOR EACH STATEMENT EXECUTE FUNCTION chaos_fail_twice();
    `);
    const ledger = new Ledger();
    const producer = await PgQueuer.connect(db.url, { metrics: false });
    await produce(producer, ledger, 'retry', 50, 50);
    const worker = await PgQueuer.connect(db.url, { heartbeatIntervalMs: 200, metrics: false });
    worker.entrypoint('chaos', CHAOS_ENTRYPOINT, ledgerHandler(db.pool, 'w'));
    const running = worker.run({ handleSignals: false });
    const verdict = await settle(ledger, db.pool, 30_000);
    await worker.stop();
    await running;
    await producer.stop();
    assertSound(t, verdict, 0);
    assert.equal(verdict.duplicated, 0, 'the outcome was written again; the handler did not run again');
    assert.ok(Number((await db.pool.query(`SELECT last_value FROM chaos_log_writes`)).rows[0].last_value) >= 3, 'both faults were injected');
  });
});

describe('bad data', () => {
  test('an outcome the database refuses fails its own job alone; the rest of the batch is recorded', async () => {
    const db = await scenarioDb();
    // A schema change the worker does not know about: results with a "poison" key are refused.
    await db.pool.query(`ALTER TABLE pgqueuer.job_log ADD CONSTRAINT chaos_no_poison CHECK (result IS NULL OR NOT result ? 'poison')`);
    const producer = await PgQueuer.connect(db.url, { metrics: false });
    const ids = await producer.enqueueMany(Array.from({ length: 40 }, (_, i) => ({ entrypoint: 'mixed', payload: { i } })));
    const worker = await PgQueuer.connect(db.url, { concurrency: 40, metrics: false });
    worker.entrypoint('mixed', async (job) => {
      const { i } = job.payload as { i: number };
      if (i === 7) return { poison: true };
      // An error message cut in the middle of an emoji: half a surrogate pair.
      if (i === 8) throw new Error(`broken ${'\u{1F600}'.slice(0, 1)} text`);
      return { i };
    });
    const running = worker.run({ handleSignals: false });
    const final = async () =>
      (await db.pool.query(`SELECT job_id::int AS id, status, error FROM pgqueuer.job_log WHERE entrypoint = 'mixed' ORDER BY job_id`)).rows;
    const rows = await until(async () => ((await final()).length === 40 ? final() : undefined), 15_000, 'all 40 outcomes');
    const byIndex = (i: number) => rows.find((r) => r.id === ids[i])!;
    assert.equal(byIndex(7).status, 'exception');
    assert.equal(byIndex(7).error.name, 'OutcomeNotStorable');
    assert.match(byIndex(7).error.message, /chaos_no_poison/);
    assert.equal(byIndex(8).status, 'exception');
    assert.equal(byIndex(8).error.message, 'broken \uFFFD text');
    assert.equal(rows.filter((r) => r.status === 'successful').length, 38);
    // And the worker goes on.
    const next = await producer.enqueue('mixed', { i: 100 });
    assert.equal((await producer.waitFor(next, { timeoutMs: 10_000 })).status, 'successful');
    await worker.stop();
    await running;
    await producer.stop();
  });

  test('100 concurrent enqueues of one dedupe key: exactly one wins', async () => {
    const db = await scenarioDb();
    // Five producers of four connections each: 20 inserts race at any moment, and the test
    // stays well inside a server's default max_connections (100) while other files run.
    const producers = await Promise.all(Array.from({ length: 5 }, () => PgQueuer.connect({ connectionString: db.url, max: 4 }, { metrics: false })));
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => producers[i % 5]!.enqueue('dedupe_race', { i }, { dedupeKey: 'the-one' })),
    );
    await Promise.all(producers.map((p) => p.stop()));
    const won = results.filter((r) => r.status === 'fulfilled');
    const others = results.flatMap((r) => (r.status === 'rejected' && !(r.reason instanceof DuplicateJobError) ? [String(r.reason)] : []));
    assert.equal(won.length, 1);
    assert.deepEqual(others, [], 'every other enqueue is a DuplicateJobError');
    const { rows } = await db.pool.query(`SELECT id::int FROM pgqueuer.jobs WHERE dedupe_key = 'the-one'`);
    assert.deepEqual(rows.map((r) => r.id), [(won[0] as PromiseFulfilledResult<number>).value]);
  });
});

describe('schedules across restarts', () => {
  test('three workers and a per-second cron, restarted: each tick fires once', { timeout: 120_000 }, async (t) => {
    const db = await scenarioDb();
    const fleet = new Fleet({ DATABASE_URL: db.url, CRON: '* * * * * *' });
    const ticks = async () => (await db.pool.query<{ s: Date; n: number }>('SELECT scheduled_at AS s, count(*)::int AS n FROM chaos_ticks GROUP BY 1 ORDER BY 1')).rows;
    const tickCount = async (atLeast: number) => until(async () => ((await ticks()).length >= atLeast ? true : undefined), 30_000, `${atLeast} ticks`);
    try {
      const workers = [await fleet.start(), await fleet.start(), await fleet.start()];
      await tickCount(3);
      // Rolling: one at a time, the others keep the schedule going.
      for (let i = 0; i < 3; i++) {
        await fleet.terminate(workers[i]!);
        workers[i] = await fleet.start();
      }
      // All down at once, then all back: missed ticks fire once (the policy "once").
      await Promise.all(workers.map((w) => fleet.terminate(w)));
      const downAt = Date.now();
      const restarted = await Promise.all([fleet.start(), fleet.start(), fleet.start()]);
      const before = (await ticks()).length;
      await tickCount(before + 3);
      await Promise.all(restarted.map((w) => fleet.terminate(w)));

      const all = await ticks();
      t.diagnostic(`${all.length} ticks from ${all[0]!.s.toISOString()} to ${all.at(-1)!.s.toISOString()}; all down for a while at ${new Date(downAt).toISOString()}`);
      assert.deepEqual(all.filter((r) => r.n > 1), [], 'no tick ran twice');
      assert.ok(all.every((r) => r.s.getUTCMilliseconds() === 0), 'ticks are whole seconds');
      const logged = await db.pool.query(`SELECT count(*)::int AS n FROM pgqueuer.job_log WHERE entrypoint = 'tick' AND status = 'successful'`);
      assert.equal(logged.rows[0].n, all.length, 'one job per tick');
    } finally {
      await fleet.destroy();
    }
  });
});
