/**
 * Statements that lock several job rows never wait for one while holding another, so they
 * cannot deadlock with a statement that locks the same rows in another order (a worker's
 * outcome write locks a batch's finished, retried and held rows in that order).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { install, PgQueuer } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { until } from '../support/wait.js';

let db: TestDatabase;
let pgq: PgQueuer;
before(async () => {
  db = await createTestDatabase();
  await install(db.url);
  pgq = await PgQueuer.connect(db.url);
});
after(async () => {
  await pgq?.stop();
  await db.drop();
});

test('cancel takes the rows it can, and comes back for a locked one: no deadlock with a locker going the other way', async () => {
  const [a, b] = await pgq.enqueueMany([{ entrypoint: 'locked', payload: {} }, { entrypoint: 'locked', payload: {} }]);
  const other = await db.pool.connect();
  try {
    await other.query('BEGIN');
    await other.query('SELECT id FROM pgqueuer.jobs WHERE id = $1 FOR UPDATE', [b]);
    const canceling = pgq.cancel([a!, b!]);
    // Either the cancel has taken a (and committed), or it waits for b while holding a.
    await until(
      async () => {
        const { rows } = await db.pool.query(
          `SELECT (SELECT count(*) FROM pgqueuer.jobs WHERE id = $1)::int AS a_left,
                  (SELECT count(*) FROM pg_locks AS l JOIN pg_stat_activity AS s ON s.pid = l.pid
                   WHERE NOT l.granted AND s.datname = current_database())::int AS waiting`,
          [a],
        );
        return rows[0].a_left === 0 || rows[0].waiting > 0;
      },
      10_000,
      'the cancel to have taken a',
    );
    // The other transaction now wants a: had the cancel kept a locked while waiting for b,
    // this is a deadlock.
    await other.query('SET LOCAL lock_timeout = 5000');
    await other.query('SELECT id FROM pgqueuer.jobs WHERE id = $1 FOR UPDATE', [a]);
    await other.query('COMMIT');
    assert.deepEqual(await canceling, [a, b]);
  } finally {
    await other.query('ROLLBACK').catch(() => {});
    other.release();
  }
  const { rows } = await db.pool.query(`SELECT job_id::int, status FROM pgqueuer.job_log ORDER BY job_id`);
  assert.deepEqual(rows, [
    { job_id: a, status: 'canceled' },
    { job_id: b, status: 'canceled' },
  ]);
});
