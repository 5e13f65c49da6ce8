/**
 * What a producer, a waiter and a starting worker see when the database is down, read-only,
 * slow or locked away from their role: typed errors with the driver's error as the cause,
 * never raw driver errors, and no wait that hangs on a failure that cannot heal.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import {
  ConfigError,
  ConnectionError,
  PgQueuer,
  PrivilegeError,
  ReadOnlyError,
  SchemaNotInstalledError,
  StatementTimeoutError,
  type Logger,
} from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { FAST, openQueue, startWorker } from '../support/queue.js';
import { startProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { deferred, until, within } from '../support/wait.js';

let db: TestDatabase;
let producer: PgQueuer;
const roles: string[] = [];

before(async () => {
  db = await createTestDatabase();
  producer = await openQueue(db.url, { metrics: false });
});
after(async () => {
  await producer.stop();
  // Roles belong to the whole server (other test files share it): dropped, with their grants.
  for (const role of roles) await db.pool.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
  await db.drop();
});

/** A login role of this test, with `setup` run for it (grants, settings); its connection URL. */
async function testRole(setup: (role: string) => string): Promise<{ role: string; url: string }> {
  const role = `pgq_outage_${randomBytes(4).toString('hex')}`;
  await db.pool.query(`CREATE ROLE ${role} LOGIN PASSWORD 'outage'`);
  roles.push(role);
  await db.pool.query(setup(role));
  const url = new URL(db.url);
  url.username = role;
  url.password = 'outage';
  return { role, url: url.toString() };
}

/** A logger that keeps the warnings, and can be awaited for the first one matching. */
function warnings(): Logger & { seen: Array<{ obj: object; msg: string }>; first(pattern: RegExp): Promise<object> } {
  const seen: Array<{ obj: object; msg: string }> = [];
  const waiting: Array<{ pattern: RegExp; resolve: (obj: object) => void }> = [];
  return {
    seen,
    debug() {},
    info() {},
    error() {},
    warn(obj, msg = '') {
      seen.push({ obj, msg });
      for (const w of waiting.filter((w) => w.pattern.test(msg))) w.resolve(obj);
    },
    first(pattern) {
      const hit = seen.find((w) => pattern.test(w.msg));
      return hit ? Promise.resolve(hit.obj) : new Promise((resolve) => waiting.push({ pattern, resolve }));
    },
  };
}

/** Holds an ACCESS EXCLUSIVE lock on pgqueuer.jobs until released: every statement on it waits. */
async function lockJobs(): Promise<() => Promise<void>> {
  const locker = new pg.Client({ connectionString: db.url });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE pgqueuer.jobs IN ACCESS EXCLUSIVE MODE');
  return async () => {
    await locker.query('ROLLBACK').catch(() => {});
    await locker.end();
  };
}

/** Asserts `err` is a ConnectionError whose cause is the driver's error with `code`. */
function isConnectionError(err: unknown, code: string, mayHaveCommitted: boolean): true {
  assert.ok(err instanceof ConnectionError, `expected a ConnectionError, got ${String(err)}`);
  assert.equal((err.cause as { code?: string } | undefined)?.code, code, err.message);
  assert.equal(err.mayHaveCommitted, mayHaveCommitted, err.message);
  return true;
}

describe('a producer during an outage', () => {
  test('a connection killed while the enqueue runs: ConnectionError that says it may have committed', async () => {
    const pgq = await PgQueuer.connect({ connectionString: db.url, application_name: 'pgq_outage_killed' }, { metrics: false });
    const release = await lockJobs();
    try {
      const enqueue = pgq.enqueue('outage', { n: 1 });
      enqueue.catch(() => {});
      // The enqueue was sent and waits for the lock: its backend is killed mid-statement.
      const pid = await until(async () => {
        const { rows } = await db.pool.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'pgq_outage_killed' AND wait_event_type = 'Lock'`);
        return rows[0]?.pid as number | undefined;
      }, 10_000, 'the enqueue to wait for the lock');
      await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
      const err = await enqueue.then(() => undefined, (e: unknown) => e);
      isConnectionError(err, '57P01', true);
      assert.match((err as Error).message, /lost the connection .* "hand_off_enqueue" .* may have committed/);
    } finally {
      await release();
      await pgq.stop();
    }
  });

  test('a closed port: every call that reaches the database rejects with ConnectionError (nothing sent)', async () => {
    const proxy = await startProxy(db.url);
    const pool = new pg.Pool({ connectionString: proxy.url(db.url), max: 2 });
    const pgq = await PgQueuer.fromPool(pool, { metrics: false });
    try {
      const id = await pgq.enqueue('outage', {});
      await proxy.close();
      await until(() => pool.totalCount === 0, 10_000, 'the pool to drop its cut connections');
      const calls: Record<string, () => Promise<unknown>> = {
        enqueue: () => pgq.enqueue('outage', {}),
        enqueueMany: () => pgq.enqueueMany([{ entrypoint: 'outage', payload: {} }]),
        cancel: () => pgq.cancel([id]),
        waitFor: () => pgq.waitFor(id, { timeoutMs: 10_000 }),
        getJob: () => pgq.getJob(id),
        listJobs: () => pgq.listJobs({}),
        requeue: () => pgq.requeue([id]),
        deleteJobs: () => pgq.deleteJobs([id]),
        clear: () => pgq.clear('outage'),
        pause: () => pgq.pause('outage'),
        resume: () => pgq.resume('outage'),
        pausedEntrypoints: () => pgq.pausedEntrypoints(),
        queueSize: () => pgq.queueSize(),
        listSchedules: () => pgq.listSchedules(),
      };
      for (const [name, call] of Object.entries(calls)) {
        const err = await within(call().then(() => undefined, (e: unknown) => e), 10_000, name);
        assert.ok(err !== undefined, `${name} resolved during the outage`);
        isConnectionError(err, 'ECONNREFUSED', false);
        assert.match((err as Error).message, /^cannot connect to PostgreSQL at postgres:\/\/.*127\.0\.0\.1:\d+\/pgq_test_\w+: /, name);
      }
    } finally {
      await pgq.stop();
      await pool.end();
      await proxy.close();
    }
  });

  test('a read-only database: ReadOnlyError, nothing written', async () => {
    const { url } = await testRole((r) => `GRANT ALL ON SCHEMA pgqueuer TO ${r}; GRANT ALL ON ALL TABLES IN SCHEMA pgqueuer TO ${r};
      ALTER ROLE ${r} SET default_transaction_read_only = on`);
    const pgq = await PgQueuer.connect(url, { metrics: false });
    try {
      const before = await producer.queueSize();
      for (const call of [() => pgq.enqueue('read_only', {}), () => pgq.pause('read_only')]) {
        const err = await call().then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof ReadOnlyError, `expected a ReadOnlyError, got ${String(err)}`);
        assert.match(err.message, /^the database is read-only \(a standby, or default_transaction_read_only\): cannot execute [A-Z ]+ in a read-only transaction/);
        assert.equal((err.cause as { code?: string }).code, '25006');
      }
      assert.deepEqual(await producer.queueSize(), before);
    } finally {
      await pgq.stop();
    }
  });

  test('statement_timeout on a statement stuck behind a lock: StatementTimeoutError naming the statement', async () => {
    // 100 ms, not 1: connect's own quick statements must not trip it on a loaded machine.
    const { url } = await testRole((r) => `GRANT ALL ON SCHEMA pgqueuer TO ${r}; GRANT ALL ON ALL TABLES IN SCHEMA pgqueuer TO ${r};
      ALTER ROLE ${r} SET statement_timeout = '100ms'`);
    const pgq = await PgQueuer.connect(url, { metrics: false });
    const release = await lockJobs();
    try {
      const err = await within(pgq.enqueue('slow', {}).then(() => undefined, (e: unknown) => e), 10_000, 'the timeout');
      assert.ok(err instanceof StatementTimeoutError, `expected a StatementTimeoutError, got ${String(err)}`);
      assert.equal(err.statement, 'hand_off_enqueue');
      assert.match(err.message, /"hand_off_enqueue" statement ran past statement_timeout/);
      assert.equal((err.cause as { code?: string }).code, '57014');
    } finally {
      await release();
      await pgq.stop();
    }
  });

  test('a role without INSERT on jobs: PrivilegeError naming the role, the table and the grant that fixes it', async () => {
    const { role, url } = await testRole((r) => `GRANT USAGE ON SCHEMA pgqueuer TO ${r}; GRANT SELECT ON ALL TABLES IN SCHEMA pgqueuer TO ${r}`);
    const pgq = await PgQueuer.connect(url, { metrics: false });
    try {
      const err = await pgq.enqueue('denied', {}).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof PrivilegeError, `expected a PrivilegeError, got ${String(err)}`);
      assert.equal(err.role, role);
      assert.equal(err.object, 'pgqueuer.jobs');
      assert.deepEqual(err.privileges, ['INSERT']);
      assert.equal(err.grant, `grant INSERT on pgqueuer.jobs to ${role}`);
      assert.match(err.message, new RegExp(`^permission denied for table jobs \\(role ${role} lacks INSERT on table pgqueuer\\.jobs\\): grant INSERT on pgqueuer\\.jobs to ${role} \\(\`npx pgq grant`));
      assert.equal((err.cause as { code?: string }).code, '42501');
      // The grant it names is the one that was missing.
      await db.pool.query(err.grant!);
      assert.ok((await pgq.enqueue('denied', {})) > 0);
    } finally {
      await pgq.stop();
    }
  });
});

describe('waitFor when lookups fail', () => {
  test('a role that may not read the job log: rejects with PrivilegeError at once, not at its timeout', async () => {
    const { role, url } = await testRole((r) => `GRANT USAGE ON SCHEMA pgqueuer TO ${r}; GRANT SELECT ON pgqueuer.jobs, pgqueuer.migrations TO ${r}`);
    const waiter = await PgQueuer.connect(url, { metrics: false });
    try {
      const id = await producer.enqueue('never_run', {});
      const started = Date.now();
      const err = await within(waiter.waitFor(id, { timeoutMs: 30_000 }).then(() => undefined, (e: unknown) => e), 10_000, 'waitFor to settle');
      assert.ok(err instanceof PrivilegeError, `expected a PrivilegeError, got ${String(err)}`);
      assert.equal(err.object, 'pgqueuer.job_log');
      assert.equal(err.grant, `grant SELECT on pgqueuer.job_log to ${role}`);
      assert.ok(Date.now() - started < 10_000, `settled after ${Date.now() - started} ms`);
    } finally {
      await waiter.stop();
    }
  });

  test('a schema dropped under the waiter: rejects with SchemaNotInstalledError', async () => {
    const gone = await openQueue(db.url, { schema: 'pgq_outage_gone', metrics: false });
    try {
      const id = await gone.enqueue('never_run', {});
      await db.pool.query('DROP SCHEMA pgq_outage_gone CASCADE');
      const err = await within(gone.waitFor(id, { timeoutMs: 30_000 }).then(() => undefined, (e: unknown) => e), 10_000, 'waitFor to settle');
      assert.ok(err instanceof SchemaNotInstalledError, `expected a SchemaNotInstalledError, got ${String(err)}`);
      assert.equal(err.schema, 'pgq_outage_gone');
    } finally {
      await gone.stop();
    }
  });

  test('a lost connection is retried: the wait resolves once the database is back', async () => {
    const proxy = await startProxy(db.url);
    const logger = warnings();
    const waiter = await PgQueuer.connect(proxy.url(db.url), { metrics: false, pollIntervalMs: 100, logger });
    const worker = await openQueue(db.url, { metrics: false });
    try {
      // A wait that resolves at once: the waiter is listening from here on.
      const [canceled] = await producer.cancel([await producer.enqueue('after_blip', {}, { executeAfter: 60_000 })]);
      await waiter.waitFor(canceled!, { timeoutMs: 10_000 });
      const id = await producer.enqueue('after_blip', {});
      const waiting = waiter.waitFor(id, { timeoutMs: 30_000 });
      await proxy.close();
      await within(logger.first(/looking up job outcomes failed/), 10_000, 'a failed lookup');
      worker.entrypoint('after_blip', async () => 'done');
      const stop = startWorker(worker);
      try {
        await proxy.open();
        assert.deepEqual(await within(waiting, 20_000, 'the wait'), { id, status: 'successful', result: 'done' });
      } finally {
        await stop();
      }
    } finally {
      await worker.stop();
      await waiter.stop();
      await proxy.close();
    }
  });
});

describe('run() while the database is unreachable', () => {
  test('retries, logging each attempt, and runs jobs once the port opens', async () => {
    const proxy = await startProxy(db.url);
    const pool = new pg.Pool({ connectionString: proxy.url(db.url) });
    const logger = warnings();
    const worker = await PgQueuer.fromPool(pool, { ...FAST, metrics: false, logger });
    const ran = deferred();
    worker.entrypoint('after_startup_outage', async () => ran.resolve());
    try {
      await producer.enqueue('after_startup_outage', {});
      await proxy.close();
      await until(() => pool.totalCount === 0, 10_000, 'the pool to drop its cut connections');
      const running = worker.run({ handleSignals: false });
      running.catch(() => {});
      const retry = (await within(logger.first(/cannot reach the database to start the worker; retrying/), 10_000, 'a retry')) as { err: unknown; retryInMs: number };
      assert.ok(retry.err instanceof ConnectionError);
      assert.ok(retry.retryInMs > 0 && retry.retryInMs <= 5_000);
      await proxy.open();
      await within(ran.promise, 20_000, 'the job to run after the outage');
      await worker.stop();
      await running;
    } finally {
      await worker.stop();
      await pool.end();
      await proxy.close();
    }
  });

  test('gives up after startupRetryMs with a ConnectionError carrying the cause', async () => {
    const proxy = await startProxy(db.url);
    const pool = new pg.Pool({ connectionString: proxy.url(db.url) });
    const logger = warnings();
    const worker = await PgQueuer.fromPool(pool, { ...FAST, metrics: false, logger, startupRetryMs: 300 });
    worker.entrypoint('never_started', async () => {});
    try {
      await proxy.close();
      await until(() => pool.totalCount === 0, 10_000, 'the pool to drop its cut connections');
      const started = Date.now();
      const err = await within(worker.run({ handleSignals: false }).then(() => undefined, (e: unknown) => e), 10_000, 'run() to give up');
      isConnectionError(err, 'ECONNREFUSED', false);
      assert.match((err as Error).message, /^run\(\) gave up after trying for 300 ms \(startupRetryMs\), \d+ attempts: cannot connect to PostgreSQL at /);
      assert.ok(Date.now() - started < 5_000, `gave up after ${Date.now() - started} ms`);
      assert.ok(logger.seen.some((w) => /retrying/.test(w.msg)), 'each retry is logged at warn');
    } finally {
      await pool.end();
      await proxy.close();
    }
  });

  test('stop() during the retries ends run() at once', async () => {
    const proxy = await startProxy(db.url);
    const pool = new pg.Pool({ connectionString: proxy.url(db.url) });
    const logger = warnings();
    const worker = await PgQueuer.fromPool(pool, { ...FAST, metrics: false, logger });
    worker.entrypoint('never_started', async () => {});
    try {
      await proxy.close();
      await until(() => pool.totalCount === 0, 10_000, 'the pool to drop its cut connections');
      const running = worker.run({ handleSignals: false });
      running.catch(() => {});
      await within(logger.first(/retrying/), 10_000, 'a retry');
      await within(worker.stop(), 5_000, 'stop()');
      await within(running, 5_000, 'run() to resolve');
    } finally {
      await pool.end();
      await proxy.close();
    }
  });

  test('startupRetryMs is checked like the other durations', () => {
    PgQueuer.inMemory({ startupRetryMs: 1 });
    PgQueuer.inMemory({ startupRetryMs: 600_000 });
    for (const bad of [0, -1, Number.NaN, '30s']) {
      assert.throws(() => PgQueuer.inMemory({ startupRetryMs: bad as number }), (err: unknown) => err instanceof ConfigError && /startupRetryMs/.test(err.message));
    }
  });
});
