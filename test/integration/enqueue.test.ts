import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ConfigError, DuplicateJobError, PayloadError, PgQueuer, StateError } from '../../src/index.js';
import { createTestDatabase, recordingPool, type TestDatabase } from '../support/database.js';
import { FAST, openQueue, startWorker } from '../support/queue.js';
import { deferred, within } from '../support/wait.js';

let db: TestDatabase;
let pgq: PgQueuer;
before(async () => {
  db = await createTestDatabase();
  pgq = await openQueue(db.url);
});
after(async () => {
  await pgq.stop();
  await db.drop();
});

async function jobCount(where = 'true', params: unknown[] = []): Promise<number> {
  const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM pgqueuer.jobs WHERE ${where}`, params);
  return rows[0].n;
}

describe('enqueue', () => {
  test('stores entrypoint, payload, priority, headers and returns the id', async () => {
    const id = await pgq.enqueue('store', { a: [1, 'two', null], when: new Date('2026-01-02T03:04:05Z') }, { priority: 7, headers: { tenant: 'x' } });
    const { rows } = await db.pool.query('SELECT * FROM pgqueuer.jobs WHERE id = $1', [id]);
    assert.equal(rows[0].entrypoint, 'store');
    assert.deepEqual(rows[0].payload, { a: [1, 'two', null], when: '2026-01-02T03:04:05.000Z' });
    assert.equal(rows[0].priority, 7);
    assert.deepEqual(rows[0].headers, { tenant: 'x' });
    assert.equal(rows[0].status, 'queued');
    assert.equal(rows[0].attempts, 0);
  });

  test('executeAfter as a delay or a Date makes the job scheduled, timed by the database', async () => {
    const [{ now }] = (await db.pool.query('SELECT now() AS now')).rows;
    const byDelay = await pgq.enqueue('later', {}, { executeAfter: 60_000 });
    const at = new Date(Date.now() + 3_600_000);
    const byDate = await pgq.enqueue('later', {}, { executeAfter: at });
    const { rows } = await db.pool.query('SELECT id, status, execute_after FROM pgqueuer.jobs WHERE id = ANY($1) ORDER BY id', [[byDelay, byDate]]);
    assert.deepEqual(rows.map((r) => r.status), ['scheduled', 'scheduled']);
    const delay = rows[0].execute_after.getTime() - now.getTime();
    assert.ok(delay >= 59_000 && delay <= 65_000, `delay was ${delay} ms`);
    assert.equal(rows[1].execute_after.getTime(), at.getTime());
  });

  test('enqueueMany writes a batch in one statement and returns ids in input order', async () => {
    const { pool, statements: queries } = recordingPool(db.url, 2);
    const producer = await PgQueuer.fromPool(pool);
    try {
      queries.length = 0;
      const items = Array.from({ length: 1_000 }, (_, i) => ({ entrypoint: i % 2 ? 'odd' : 'even', payload: { i }, priority: i % 5 }));
      const ids = await producer.enqueueMany(items);
      assert.equal(queries.length, 1, `expected one statement, got ${queries.length}`);
      assert.equal(ids.length, 1_000);
      const { rows } = await db.pool.query('SELECT id, entrypoint, payload, priority FROM pgqueuer.jobs WHERE id = ANY($1)', [ids]);
      const byId = new Map(rows.map((r) => [Number(r.id), r]));
      ids.forEach((id, i) => {
        assert.deepEqual(byId.get(id)!.payload, { i });
        assert.equal(byId.get(id)!.entrypoint, i % 2 ? 'odd' : 'even');
        assert.equal(byId.get(id)!.priority, i % 5);
      });
    } finally {
      await producer.stop();
      await pool.end();
    }
  });

  test('a statement-level trigger sends one NOTIFY per entrypoint per batch', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    const received: Array<{ t: string; e: string; d: number }> = [];
    const twoArrived = deferred();
    listener.on('notification', (n) => {
      received.push(JSON.parse(n.payload!));
      if (received.length === 2) twoArrived.resolve();
    });
    await listener.query('LISTEN pgq_pgqueuer');
    try {
      await pgq.enqueueMany([
        ...Array.from({ length: 50 }, () => ({ entrypoint: 'notified_a', payload: {} })),
        ...Array.from({ length: 50 }, () => ({ entrypoint: 'notified_b', payload: {}, executeAfter: 5_000 })),
      ]);
      await within(twoArrived.promise, 5_000, 'two notifications');
      const byEntrypoint = Object.fromEntries(received.map((r) => [r.e, r]));
      assert.equal(received.length, 2);
      assert.equal(byEntrypoint.notified_a!.d, 0);
      assert.ok(byEntrypoint.notified_b!.d > 4_000 && byEntrypoint.notified_b!.d <= 5_000, `delay ${byEntrypoint.notified_b!.d}`);
    } finally {
      await listener.end();
    }
  });
});

describe('transactional enqueue', () => {
  test('a rolled-back enqueue never runs; a committed one does', async () => {
    const worker = await openQueue(db.url);
    const ran: unknown[] = [];
    const committedRan = deferred();
    worker.entrypoint('txjob', async (job) => {
      ran.push(job.payload);
      if ((job.payload as { outcome: string }).outcome === 'commit') committedRan.resolve();
    });
    const stop = startWorker(worker);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      const rolledBack = await pgq.enqueue('txjob', { outcome: 'rollback' }, { client });
      assert.equal(await jobCount('id = $1', [rolledBack]), 0, 'invisible outside the transaction');
      await client.query('ROLLBACK');

      await client.query('BEGIN');
      await pgq.enqueueMany([{ entrypoint: 'txjob', payload: { outcome: 'commit' } }], { client });
      await client.query('COMMIT');
      await within(committedRan.promise, 5_000, 'the committed job');
      // The committed job was enqueued after the rolled-back one, and jobs run in order.
      assert.deepEqual(ran, [{ outcome: 'commit' }]);
      assert.equal(await jobCount('id = $1', [rolledBack]), 0);
    } finally {
      await client.end();
      await stop();
    }
  });

  test('a duplicate leaves the caller transaction usable', async () => {
    await pgq.enqueue('txdedupe', {}, { dedupeKey: 'held' });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await assert.rejects(pgq.enqueue('txdedupe', {}, { dedupeKey: 'held', client }), DuplicateJobError);
      const id = await pgq.enqueue('txdedupe', {}, { dedupeKey: 'other', client });
      await client.query('COMMIT');
      assert.equal(await jobCount('id = $1', [id]), 1);
    } finally {
      await client.end();
    }
  });
});

describe('dedupe keys', () => {
  test('a held key is refused, naming the key; free again once the job finishes', async () => {
    await pgq.enqueue('dedupe', { n: 1 }, { dedupeKey: 'welcome:42' });
    await assert.rejects(pgq.enqueue('dedupe', { n: 2 }, { dedupeKey: 'welcome:42' }), (err: unknown) => {
      assert.ok(err instanceof DuplicateJobError);
      assert.deepEqual(err.dedupeKeys, ['welcome:42']);
      assert.match(err.message, /"welcome:42" \(dedupe\)/);
      return true;
    });
    // Another entrypoint may use the same key.
    await pgq.enqueue('dedupe_other', {}, { dedupeKey: 'welcome:42' });

    const worker = await openQueue(db.url);
    const finished = deferred();
    worker.entrypoint('dedupe', async () => finished.resolve());
    const stop = startWorker(worker);
    await within(finished.promise, 5_000, 'the deduped job');
    await stop(); // stop() records outcomes before it resolves
    const again = await pgq.enqueue('dedupe', { n: 3 }, { dedupeKey: 'welcome:42' });
    assert.ok(again > 0);
  });

  test('enqueueMany is all or nothing: a duplicate in the batch or in the table writes nothing', async () => {
    const before = await jobCount();
    await assert.rejects(
      pgq.enqueueMany([
        { entrypoint: 'batchdup', payload: {}, dedupeKey: 'a' },
        { entrypoint: 'batchdup', payload: {}, dedupeKey: 'a' },
      ]),
      DuplicateJobError,
    );
    await pgq.enqueue('batchdup', {}, { dedupeKey: 'b' });
    await assert.rejects(
      pgq.enqueueMany([
        { entrypoint: 'batchdup', payload: {}, dedupeKey: 'c' },
        { entrypoint: 'batchdup', payload: {}, dedupeKey: 'b' },
      ]),
      (err: unknown) => err instanceof DuplicateJobError && err.dedupeKeys.join() === 'b',
    );
    assert.equal(await jobCount(), before + 1);
  });

  test('100 concurrent enqueues of one key: exactly one wins', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => pgq.enqueue('racekey', { i }, { dedupeKey: 'only-one' })),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof DuplicateJobError, String(r.reason));
    assert.equal(await jobCount(`entrypoint = 'racekey'`), 1);
  });
});

describe('payloads that cannot be stored', () => {
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  const cases: Array<[string, unknown, RegExp]> = [
    ['a bigint', { amount: 10n }, /payload\.amount is a bigint/],
    ['NaN', { n: [1, Number.NaN] }, /payload\.n\[1\] is NaN/],
    ['a cycle', cyclic, /payload\.self refers back to itself/],
    ['a NUL character', { text: 'a\u0000b' }, /payload\.text contains the NUL character/],
    // Half of an emoji (a string cut in the middle): jsonb refuses it.
    ['an unpaired surrogate', { text: `cut ${'\u{1F600}'.slice(0, 1)}` }, /payload\.text contains an unpaired UTF-16 surrogate/],
    ['a toJSON that returns what JSON cannot store', { v: { toJSON: () => 'a\u0000b' } }, /payload\.v contains the NUL character/],
    ['a Map', { m: new Map() }, /payload\.m is a Map/],
    ['a function', { f: () => 1 }, /payload\.f is a function/],
  ];
  for (const [what, payload, message] of cases) {
    test(`${what} is refused with a PayloadError and nothing is written`, async () => {
      const before = await jobCount();
      await assert.rejects(pgq.enqueue('bad', payload), (err: unknown) => err instanceof PayloadError && message.test(err.message));
      assert.equal(await jobCount(), before);
    });
  }

  test('a payload over maxPayloadBytes is refused, naming the size; in a batch nothing is written', async () => {
    const small = await openQueue(db.url, { maxPayloadBytes: 1_000 });
    try {
      const before = await jobCount();
      await assert.rejects(
        small.enqueueMany([
          { entrypoint: 'big', payload: { ok: true } },
          { entrypoint: 'big', payload: { blob: 'x'.repeat(2_000) } },
        ]),
        (err: unknown) => err instanceof PayloadError && /jobs\[1\]\.payload is 2011 bytes as JSON, over the limit of 1000/.test(err.message),
      );
      assert.equal(await jobCount(), before);
    } finally {
      await small.stop();
    }
  });

  test('bad options are refused with a ConfigError naming the option', async () => {
    await assert.rejects(pgq.enqueue('opt', {}, { priority: 1.5 }), /priority must be an integer/);
    await assert.rejects(pgq.enqueue('opt', {}, { executeAfter: -5 }), /executeAfter must be a Date or milliseconds/);
    await assert.rejects(pgq.enqueue('opt', {}, { executeAfter: new Date('nope') }), /executeAfter is an invalid Date/);
    await assert.rejects(pgq.enqueue('opt', {}, { dedupeKey: '' }), /dedupeKey must be a non-empty string/);
    await assert.rejects(pgq.enqueue('', {}), ConfigError);
    await assert.rejects(pgq.enqueue('x'.repeat(201), {}), /entrypoint name must be a string of 1 to 200/);
  });

  test('a stopped instance refuses to enqueue', async () => {
    const short = await PgQueuer.connect(db.url, FAST);
    await short.stop();
    await assert.rejects(short.enqueue('x', {}), StateError);
  });
});
