/**
 * The PostgreSQL driver keeps one client of a pool it owns checked out between statements, so
 * the next statement skips pg-pool's checkout (pg-driver.ts, giveBack). What that must not
 * break: a caller's pool, concurrent statements, a pool others wait for, a kept connection
 * that dies, idleness, a failed statement, close.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { silentLogger } from '../../src/logger.js';
import { PgDriver } from '../../src/postgres/pg-driver.js';
import { unprepared } from '../../src/postgres/statement.js';
import { db, useFileDatabase } from '../support/file-database.js';
import { until, within } from '../support/wait.js';

useFileDatabase();

const SELECT_PID = { name: 'kept_pid', text: 'SELECT pg_backend_pid() AS pid' };

/** A driver over a pool of its own (as PgQueuer.connect makes), counting the pool's checkouts. */
function driverOn(pool: pg.Pool, ownsPool = true): { driver: PgDriver; checkouts: () => number } {
  let checkouts = 0;
  pool.on('acquire', () => checkouts++);
  return { driver: new PgDriver(pool, { ownsPool, preparedStatements: true, logger: silentLogger }), checkouts: () => checkouts };
}

const pid = async (driver: PgDriver): Promise<number> => (await driver.query<{ pid: number }>(SELECT_PID))[0]!.pid;

test('statements one after another take one client from the pool, once, and all run on it', async () => {
  const { driver, checkouts } = driverOn(new pg.Pool({ connectionString: db.url, max: 4 }));
  try {
    const pids = new Set<number>();
    for (let i = 0; i < 5; i++) pids.add(await pid(driver));
    await driver.transaction(async (tx) => pids.add((await tx.query<{ pid: number }>(SELECT_PID))[0]!.pid));
    assert.equal(checkouts(), 1);
    assert.equal(pids.size, 1);
  } finally {
    await driver.close();
  }
});

test("a caller's pool is not kept from: every statement checks a client out and gives it back", async () => {
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  const { driver, checkouts } = driverOn(pool, false);
  try {
    for (let i = 0; i < 3; i++) {
      await pid(driver);
      assert.equal(pool.idleCount, pool.totalCount, 'no client stays checked out');
    }
    assert.equal(checkouts(), 3);
  } finally {
    await driver.close();
    await pool.end();
  }
});

test('while the kept client is busy, a concurrent statement takes another from the pool', async () => {
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  const { driver } = driverOn(pool);
  try {
    await pid(driver);
    const [a, b] = await Promise.all([pid(driver), pid(driver)]);
    assert.notEqual(a, b);
    assert.equal(pool.totalCount, 2);
  } finally {
    await driver.close();
  }
});

test('a client coming back while someone waits for the pool goes to them, not into keeping', async () => {
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const { driver } = driverOn(pool);
  const holder = await db.pool.connect();
  try {
    // The lock keeps one statement running until the test lets it go.
    await holder.query('SELECT pg_advisory_lock(4242)');
    const blocked = driver.query(unprepared('SELECT pg_advisory_lock(4242), pg_advisory_unlock(4242)'));
    const short = driver.query(unprepared('SELECT pg_sleep(0.05)'));
    await until(() => pool.totalCount === 2, 5_000, 'both clients in use');
    // The pool is full: this one waits, and must get the client the short statement gives back.
    const waiting = pid(driver);
    await short;
    await within(waiting, 5_000, 'the waiting statement, while the other still runs');
    await holder.query('SELECT pg_advisory_unlock(4242)');
    await blocked;
  } finally {
    holder.release();
    await driver.close();
  }
});

test('a kept client whose connection dies is dropped; the next statement runs on a new one', async () => {
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => {});
  const { driver, checkouts } = driverOn(pool);
  try {
    const first = await pid(driver);
    await db.pool.query('SELECT pg_terminate_backend($1)', [first]);
    await until(() => pool.totalCount === 0, 5_000, 'the dead client to leave the pool');
    const second = await pid(driver);
    assert.notEqual(second, first);
    assert.equal(checkouts(), 2);
  } finally {
    await driver.close();
  }
});

test('a client whose statement failed is not kept', async () => {
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  const { driver, checkouts } = driverOn(pool);
  try {
    const first = await pid(driver);
    await assert.rejects(driver.query(unprepared('SELECT * FROM no_such_table')));
    assert.notEqual(await pid(driver), first);
    assert.equal(checkouts(), 2);
  } finally {
    await driver.close();
  }
});

test('a kept client nobody uses goes back to the pool, which closes it after its idle timeout', async () => {
  const pool = new pg.Pool({ connectionString: db.url, max: 4, idleTimeoutMillis: 100 });
  const { driver } = driverOn(pool);
  try {
    await pid(driver);
    assert.equal(pool.idleCount, 0, 'kept, so not idle in the pool');
    await until(() => pool.totalCount === 0, 5_000, 'the unused client to be closed');
  } finally {
    await driver.close();
  }
});

test('close gives the kept client back and ends the pool', async () => {
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  const { driver } = driverOn(pool);
  await pid(driver);
  await within(driver.close(), 5_000, 'close');
  assert.equal(pool.totalCount, 0);
  assert.equal(pool.ended, true);
});
