/**
 * Job dependencies where only PostgreSQL can show them: flows inside a caller's transaction,
 * children enqueued while their parents finish on other connections, and what it costs jobs
 * without parents.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PgQueuer } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { openQueue, startWorker } from '../support/queue.js';
import { countdown, within } from '../support/wait.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

describe('job dependencies on PostgreSQL', () => {
  test("a parent and its children in one caller's transaction: a rollback leaves nothing, a commit runs them", async () => {
    const pgq = await openQueue(db.url, { schema: 'flow_tx' });
    try {
      const client = await db.pool.connect();
      try {
        await client.query('BEGIN');
        const parent = await pgq.enqueue('tx_parent', {}, { client });
        await pgq.enqueue('tx_child', {}, { client, after: [parent] });
        await client.query('ROLLBACK');
        assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM flow_tx.jobs')).rows[0].n, 0);
        assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM flow_tx.job_dependencies')).rows[0].n, 0);

        await client.query('BEGIN');
        const kept = await pgq.enqueue('tx_parent', {}, { client });
        const child = await pgq.enqueue('tx_child', {}, { client, after: [kept] });
        await client.query('COMMIT');
        pgq.entrypoint('tx_parent', async () => 'parent done');
        pgq.entrypoint('tx_child', async (_job, ctx) => ctx.parents.map((p) => p.result));
        const stop = startWorker(pgq);
        try {
          assert.deepEqual(await pgq.waitFor(child, { timeoutMs: 15_000 }), { id: child, status: 'successful', result: ['parent done'] });
        } finally {
          await stop();
        }
      } finally {
        client.release();
      }
    } finally {
      await pgq.stop();
    }
  });

  test('children enqueued while their parents finish on other connections: each runs exactly once, after its parent, none stranded', { timeout: 90_000 }, async () => {
    const options = { schema: 'flow_race', concurrency: 16 };
    const worker = await openQueue(db.url, options);
    const producer = await PgQueuer.connect(db.url, options);
    const parents = 300;
    const runs = new Map<number, number>();
    const finishedAt = new Map<number, number>();
    const everyChild = countdown(parents);
    let order = 0;
    worker.entrypoint('race_parent', async (job) => {
      finishedAt.set(job.id, ++order);
    });
    worker.entrypoint<{ parent: number }>('race_child', async (job) => {
      runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
      assert.ok((finishedAt.get(job.payload.parent) ?? Infinity) <= order, 'a child runs after its parent');
      everyChild.tick();
    });
    const stop = startWorker(worker);
    try {
      // Each child is enqueued right after its parent, while the worker is already finishing
      // parents: some children find their parent live, some find it just ended.
      const children: number[] = [];
      for (let i = 0; i < parents; i++) {
        const parent = await producer.enqueue('race_parent', {});
        children.push(await producer.enqueue('race_child', { parent }, { after: [parent] }));
      }
      await within(everyChild.done, 60_000, 'every child to run');
      const ended = await producer.waitForAll(children, { timeoutMs: 10_000 });
      assert.deepEqual(ended.filter((e) => e.status !== 'successful'), []);
      assert.deepEqual([...runs.values()].filter((n) => n !== 1), [], 'every child ran exactly once');
      assert.equal(runs.size, parents);
      const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM flow_race.jobs WHERE status = 'blocked'");
      assert.equal(rows[0].n, 0, 'none stranded blocked');
    } finally {
      await stop();
      await producer.stop();
    }
  });
});
