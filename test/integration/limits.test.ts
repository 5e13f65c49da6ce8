import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EntrypointOptions } from '../../src/index.js';
import { openQueue, startWorker } from '../support/queue.js';
import { countdown, within } from '../support/wait.js';
import { db, producer, useFileDatabase } from '../support/file-database.js';

useFileDatabase();

/**
 * Runs `total` jobs of `entrypoint` on two worker instances (each with room for 16 at once)
 * and records how many ran at the same time and when each started.
 */
async function runOnTwoWorkers(entrypoint: string, options: EntrypointOptions, total: number, jobMs: number) {
  let current = 0;
  let peak = 0;
  const starts: number[] = [];
  const done = countdown(total);
  const workers = await Promise.all([openQueue(db.url, { concurrency: 16 }), openQueue(db.url, { concurrency: 16 })]);
  for (const worker of workers) {
    worker.entrypoint(entrypoint, options, async () => {
      starts.push(performance.now());
      peak = Math.max(peak, ++current);
      await new Promise((resolve) => setTimeout(resolve, jobMs)); // the job's own work
      current--;
      done.tick();
    });
  }
  const stops = workers.map(startWorker);
  await producer.enqueueMany(Array.from({ length: total }, (_, i) => ({ entrypoint, payload: { i } })));
  await within(done.done, 60_000, `${total} ${entrypoint} jobs`);
  await Promise.all(stops.map((stop) => stop()));
  return { peak, starts: starts.sort((a, b) => a - b) };
}

describe('limits hold across workers', () => {
  test('concurrencyLimit is never exceeded by two workers together', async () => {
    const { peak } = await runOnTwoWorkers('limited', { concurrencyLimit: 3 }, 60, 30);
    assert.equal(peak, 3, 'reached, never exceeded');
  });

  test('serializedDispatch runs one job at a time across workers', async () => {
    const { peak } = await runOnTwoWorkers('serial', { serializedDispatch: true }, 20, 10);
    assert.equal(peak, 1);
  });

  test('an unlimited entrypoint does use both workers at once (the limits above are not an accident)', async () => {
    const { peak } = await runOnTwoWorkers('unlimited', {}, 64, 50);
    assert.ok(peak > 16, `peak ${peak}: more than one worker's worth at once`);
  });

  test('rateLimit bounds starts by a token bucket shared by both workers', async () => {
    const perSecond = 10;
    const burst = 5;
    const total = 25;
    const { starts } = await runOnTwoWorkers('rated', { rateLimit: { perSecond, burst } }, total, 1);
    // In any span of T ms at most burst + perSecond × T / 1000 starts (one extra for clock skew
    // between the database, which keeps the bucket, and this process, which timestamps).
    for (let i = 0; i < starts.length; i++) {
      for (let j = i; j < starts.length; j++) {
        const span = starts[j]! - starts[i]!;
        const allowed = burst + (perSecond * span) / 1_000 + 1;
        assert.ok(j - i + 1 <= allowed, `${j - i + 1} starts within ${span.toFixed(0)} ms`);
      }
    }
    const elapsed = starts.at(-1)! - starts[0]!;
    assert.ok(elapsed >= ((total - burst) / perSecond) * 1_000 - 300, `all ${total} started within ${elapsed.toFixed(0)} ms`);
  });
});
