/**
 * Lifecycle rules that need several worker processes or a crashed worker: a pause holds for
 * every worker and a resume wakes them all at once; a new worker returns a crashed worker's
 * jobs before its first claim, so they run by priority, not after fresh work; group limits
 * hold for two worker processes together.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnTs, type Child } from '../support/child.js';
import { db, producer, useFileDatabase } from '../support/file-database.js';
import { openQueue, startWorker } from '../support/queue.js';
import { deferred, within } from '../support/wait.js';

const childWorker = fileURLToPath(new URL('../fixtures/child-worker.ts', import.meta.url));

useFileDatabase();

describe('across worker processes', () => {
  test('a pause holds for two worker processes; resume wakes both at once', async () => {
    // A poll of a minute: whatever runs after the resume was woken by its notification.
    const children: Child[] = ['a', 'b'].map((tag) =>
      spawnTs(childWorker, { DATABASE_URL: db.url, CHILD_MODE: 'work', CHILD_JOB_MS: '100', CHILD_TAG: tag, CHILD_POLL_MS: '60000' }),
    );
    try {
      await producer.pause('child_job');
      const ids = await producer.enqueueMany(Array.from({ length: 40 }, (_, i) => ({ entrypoint: 'child_job', payload: { i } })));
      // A canary per worker, enqueued after the paused jobs: once each has run one, each worker
      // has claimed since the paused jobs were there, and left them.
      await producer.enqueueMany([{ entrypoint: 'canary_a', payload: {} }, { entrypoint: 'canary_b', payload: {} }]);
      await Promise.all(children.map((c) => within(c.line(/^canary$/), 20_000, 'a canary')));
      for (const child of children) assert.equal(child.lines.filter((l) => l.startsWith('started ')).length, 0, 'a paused job ran');
      assert.deepEqual(
        (await producer.queueSize()).filter((r) => r.entrypoint === 'child_job'),
        [{ entrypoint: 'child_job', status: 'queued', priority: 0, count: 40, paused: true }],
      );
      await producer.resume('child_job');
      const done = await within(producer.waitForAll(ids), 10_000, 'the jobs after resume');
      assert.ok(done.every((d) => d.status === 'successful'));
      for (const child of children) assert.ok(child.lines.some((l) => l.startsWith('started ')), 'both workers were woken');
    } finally {
      for (const child of children) child.process.kill('SIGTERM');
      await Promise.all(children.map((c) => c.exited));
    }
  });

  test('a crashed worker\'s priority-10 job runs before fresh priority-0 jobs in a new worker', async () => {
    const [lost] = (
      await db.pool.query(
        `INSERT INTO pgqueuer.jobs (entrypoint, priority, status, attempts, worker_id, heartbeat, picked_at)
         VALUES ('ranked', 10, 'picked', 1, gen_random_uuid(), now() - interval '1 hour', now() - interval '1 hour') RETURNING id`,
      )
    ).rows.map((r) => Number(r.id));
    const fresh = await producer.enqueueMany(Array.from({ length: 5 }, () => ({ entrypoint: 'ranked', payload: {} })));
    const worker = await openQueue(db.url, { concurrency: 1 });
    const order: number[] = [];
    const all = deferred();
    worker.entrypoint('ranked', { rescueAfterMs: 1_000 }, async (job) => {
      order.push(job.id);
      if (order.length === 6) all.resolve();
    });
    const stop = startWorker(worker);
    try {
      await within(all.promise, 10_000, 'every job');
      assert.deepEqual(order, [lost, ...fresh]);
    } finally {
      await stop();
    }
  });

  test('groupConcurrency is never exceeded by two worker processes together (sampled while they drain)', async () => {
    const children: Child[] = ['g1', 'g2'].map((tag) =>
      spawnTs(childWorker, { DATABASE_URL: db.url, CHILD_MODE: 'work', CHILD_JOB_MS: '20', CHILD_CONCURRENCY: '8', CHILD_GROUP_CONCURRENCY: '2', CHILD_TAG: tag }),
    );
    try {
      // Each worker runs its canary first: both are claiming before the groups' jobs arrive.
      await producer.enqueueMany(['g1', 'g2'].map((tag) => ({ entrypoint: `canary_${tag}`, payload: {} })));
      await within(Promise.all(children.map((c) => c.line(/^canary$/))), 30_000, 'both workers to start');
      const groups = ['t1', 't2', 't3', 't4'];
      const ids = await producer.enqueueMany(
        Array.from({ length: 120 }, (_, i) => ({ entrypoint: 'child_job', payload: { i }, group: groups[i % groups.length]! })),
      );
      let peak = 0;
      let samples = 0;
      for (let left = ids.length; left > 0; samples++) {
        const { rows } = await db.pool.query<{ peak: number | null; left: number }>(
          `SELECT (SELECT max(n) FROM (SELECT count(*)::integer AS n FROM pgqueuer.jobs WHERE entrypoint = 'child_job' AND status = 'picked'
                                       GROUP BY headers->>'pgq-group') AS running) AS peak,
                  (SELECT count(*)::integer FROM pgqueuer.jobs WHERE entrypoint = 'child_job') AS left`,
        );
        peak = Math.max(peak, rows[0]!.peak ?? 0);
        left = rows[0]!.left;
        assert.ok(peak <= 2, `a group had ${peak} jobs running at once`);
      }
      assert.equal(peak, 2, `the limit was reached (${samples} samples)`);
    } finally {
      for (const child of children) child.process.kill('SIGTERM');
      await Promise.all(children.map((c) => c.exited));
    }
  });
});
