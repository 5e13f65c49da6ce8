import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { ConfigError, PgQueuer, type Logger } from '../../src/index.js';
import { schemaNames } from '../../src/postgres/schema-names.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { openQueue, startWorker } from '../support/queue.js';
import { countdown, until, within } from '../support/wait.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

/** Log entries finished `ageHours` ago, as a worker would have written them. */
async function logEntries(schema: string, count: number, ageHours: number): Promise<void> {
  await db.pool.query(
    `INSERT INTO ${schema}.job_log (job_id, entrypoint, priority, status, attempt, created_at, finished_at, result)
     SELECT g, 'old', 0, 'successful', 1, now(), now() - make_interval(hours => $2), '{"big":"result"}'
     FROM generate_series(1, $1) g`,
    [count, ageHours],
  );
}
const remaining = async (schema: string) =>
  (await db.pool.query(`SELECT count(*)::int AS n, min(finished_at) AS oldest FROM ${schema}.job_log`)).rows[0];

async function workerWith(schema: string, retention: Record<string, unknown>): Promise<{ pgq: PgQueuer; stop: () => Promise<void> }> {
  const pgq = await openQueue(db.url, { schema, retention });
  pgq.entrypoint('noop', async () => {});
  return { pgq, stop: startWorker(pgq) };
}

test('entries older than maxAgeMs are pruned (with their results); recent ones stay', async () => {
  const schema = 'by_age';
  await openQueue(db.url, { schema }).then((p) => p.stop());
  await logEntries(schema, 25_000, 48); // more than one batch
  await logEntries(schema, 30, 1);
  const { stop } = await workerWith(schema, { maxAgeMs: 24 * 3_600_000, intervalMs: 50 });
  try {
    await until(async () => (await remaining(schema)).n === 30, 15_000, 'the old entries to go');
  } finally {
    await stop();
  }
  const { oldest } = await remaining(schema);
  assert.ok(Date.now() - oldest.getTime() < 2 * 3_600_000);
});

test('maxRows keeps the newest entries', async () => {
  const schema = 'by_count';
  await openQueue(db.url, { schema }).then((p) => p.stop());
  await logEntries(schema, 200, 1);
  const { rows: newest } = await db.pool.query(`SELECT id FROM ${schema}.job_log ORDER BY id DESC LIMIT 50`);
  const { stop } = await workerWith(schema, { maxAgeMs: null, maxRows: 50, intervalMs: 50 });
  try {
    await until(async () => (await remaining(schema)).n === 50, 10_000, 'pruning to 50');
  } finally {
    await stop();
  }
  const { rows: kept } = await db.pool.query(`SELECT id FROM ${schema}.job_log ORDER BY id DESC`);
  assert.deepEqual(kept, newest);
});

test('dedupe keys whose window ended are forgotten; keys still in their window are kept', async () => {
  const schema = 'by_window';
  await openQueue(db.url, { schema }).then((p) => p.stop());
  await db.pool.query(
    `INSERT INTO ${schema}.dedupe_reservations (entrypoint, dedupe_key, job_id, expires_at)
     SELECT 'noop', 'k' || g, g, now() + CASE WHEN g <= 3 THEN interval '-1 minute' ELSE interval '1 hour' END FROM generate_series(1, 5) g`,
  );
  const { stop } = await workerWith(schema, { intervalMs: 50 });
  try {
    await until(async () => (await db.pool.query(`SELECT count(*)::int AS n FROM ${schema}.dedupe_reservations`)).rows[0].n === 2, 10_000, 'expired keys pruned');
  } finally {
    await stop();
  }
  const { rows } = await db.pool.query(`SELECT dedupe_key FROM ${schema}.dedupe_reservations ORDER BY dedupe_key`);
  assert.deepEqual(rows.map((r) => r.dedupe_key), ['k4', 'k5']);
});

test('only one worker prunes at a time: while another holds the maintenance lock, nothing is deleted', async () => {
  const schema = 'one_at_a_time';
  await openQueue(db.url, { schema }).then((p) => p.stop());
  await logEntries(schema, 100, 48);
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  // What another worker's prune holds while it runs.
  await holder.query('SELECT pg_advisory_lock($1, 1)', [schemaNames(schema).lockSpace]);
  const skipped = countdown(3);
  const logger: Logger = { info() {}, warn() {}, error() {}, debug: (_obj, msg) => msg?.includes('skipped this round') && skipped.tick() };
  const pgq = await openQueue(db.url, { schema, logger, retention: { maxAgeMs: 3_600_000, intervalMs: 30 } });
  pgq.entrypoint('noop', async () => {});
  const stop = startWorker(pgq);
  try {
    await within(skipped.done, 10_000, 'three rounds skipped while the lock is held');
    assert.equal((await remaining(schema)).n, 100);
    await holder.query('SELECT pg_advisory_unlock($1, 1)', [schemaNames(schema).lockSpace]);
    await until(async () => (await remaining(schema)).n === 0, 10_000, 'pruning once the lock is free');
  } finally {
    await holder.end();
    await stop();
  }
});

test('retention options are validated', async () => {
  await assert.rejects(PgQueuer.connect(db.url, { retention: { maxAge: 5 } as never }), (err: unknown) => err instanceof ConfigError && /unknown option "maxAge"/.test(err.message));
  await assert.rejects(PgQueuer.connect(db.url, { retention: { maxRows: 0 } }), /retention.maxRows must be a positive integer/);
});
