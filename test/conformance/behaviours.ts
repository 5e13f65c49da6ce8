/**
 * The behaviour suite, written once and run against every backend (PostgreSQL and
 * PgQueuer.inMemory()). Each test opens a fresh instance, which is both producer and worker.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ConfigError,
  DuplicateJobError,
  JobCanceledSignal,
  JobNotFoundError,
  PayloadError,
  PermanentJobError,
  ValidationError,
  WaitTimeoutError,
} from 'pgqueuer';
import * as handlers from './fixture/handlers/index.js';
import { createClient, registerHandlers } from './fixture/pgq.generated.js';
import { countdown, deferred, within } from '../support/wait.js';
import { FAST, queueRunner, type Backend, type TestQueue } from './backend.js';

export type { Backend } from './backend.js';

export function behaviours(backend: Backend): void {
  const withQueue = queueRunner(backend);
  const start = (pgq: TestQueue) => pgq.start();

  describe(`behaviour on ${backend.name}`, () => {
    test('runs an enqueued job once, with its payload, and records its result', async () => {
      await withQueue({}, async (pgq) => {
        const seen: unknown[] = [];
        pgq.entrypoint('echo', async (job) => {
          seen.push({ payload: job.payload, attempt: job.attempt, headers: job.headers });
          return { echoed: job.payload };
        });
        start(pgq);
        const id = await pgq.enqueue('echo', { n: 1 }, { headers: { h: 'v' } });
        assert.deepEqual(await pgq.waitFor(id, { timeoutMs: 10_000 }), { id, status: 'successful', result: { echoed: { n: 1 } } });
        assert.deepEqual(seen, [{ payload: { n: 1 }, attempt: 1, headers: { h: 'v' } }]);
      });
    });

    test('enqueueMany returns ids in input order, and is all or nothing', async () => {
      await withQueue({}, async (pgq) => {
        const ids = await pgq.enqueueMany([1, 2, 3].map((n) => ({ entrypoint: 'many', payload: { n } })));
        assert.deepEqual((await pgq.listJobs('many')).map((j) => [j.id, j.payload]), ids.map((id, i) => [id, { n: i + 1 }]));
        await assert.rejects(
          pgq.enqueueMany([
            { entrypoint: 'many', payload: {}, dedupeKey: 'x' },
            { entrypoint: 'many', payload: 10n },
          ]),
          PayloadError,
        );
        await assert.rejects(pgq.enqueueMany([{ entrypoint: 'many', payload: {}, dedupeKey: 'y' }, { entrypoint: 'many', payload: {}, dedupeKey: 'y' }]), DuplicateJobError);
        assert.equal((await pgq.listJobs('many')).length, 3);
      });
    });

    test('higher priority first, then oldest first', async () => {
      await withQueue({ concurrency: 1 }, async (pgq) => {
        const priorities = [0, 5, 1, 5, 9];
        const ids: number[] = [];
        for (const priority of priorities) ids.push(await pgq.enqueue('ordered', {}, { priority }));
        const order: number[] = [];
        const done = countdown(ids.length);
        pgq.entrypoint('ordered', async (job) => {
          order.push(job.id);
          done.tick();
        });
        start(pgq);
        await within(done.done, 10_000, 'the jobs');
        assert.deepEqual(order, [ids[4], ids[1], ids[3], ids[2], ids[0]]);
      });
    });

    test('executeAfter: a deferred job is scheduled, and does not start before its time', async () => {
      await withQueue({}, async (pgq) => {
        const started = deferred<number>();
        pgq.entrypoint('later', async () => started.resolve(performance.now()));
        start(pgq);
        const enqueuedAt = performance.now();
        await pgq.enqueue('later', {}, { executeAfter: 400 });
        assert.deepEqual((await pgq.queueSize()).map((r) => [r.entrypoint, r.status]), [['later', 'scheduled']]);
        const at = await within(started.promise, 10_000, 'the deferred job');
        assert.ok(at - enqueuedAt >= 390, `started after ${(at - enqueuedAt).toFixed(0)} ms`);
      });
    });

    test('a dedupe key is refused while held and free once the job finished', async () => {
      await withQueue({}, async (pgq) => {
        pgq.entrypoint('deduped', async () => {});
        const id = await pgq.enqueue('deduped', {}, { dedupeKey: 'k' });
        await assert.rejects(pgq.enqueue('deduped', {}, { dedupeKey: 'k' }), (err: unknown) => err instanceof DuplicateJobError && err.dedupeKeys[0] === 'k');
        await pgq.enqueue('other', {}, { dedupeKey: 'k' });
        start(pgq);
        await pgq.waitFor(id, { timeoutMs: 10_000 });
        assert.ok((await pgq.enqueue('deduped', {}, { dedupeKey: 'k' })) > id);
      });
    });

    test('retries: attempts 1..n, each error kept, then exception; PermanentJobError is not retried', async () => {
      await withQueue({}, async (pgq) => {
        const attempts: number[] = [];
        pgq.entrypoint('flaky', { retry: { maxAttempts: 3, initialDelayMs: 20 } }, async (job) => {
          attempts.push(job.attempt);
          throw new Error(`attempt ${job.attempt}`);
        });
        let permanentRuns = 0;
        pgq.entrypoint('permanent', { retry: { maxAttempts: 3, initialDelayMs: 0 } }, async () => {
          permanentRuns++;
          throw new PermanentJobError('no point retrying');
        });
        start(pgq);
        const flaky = await pgq.enqueue('flaky', {});
        const permanent = await pgq.enqueue('permanent', {});
        const [a, b] = await pgq.waitForAll([flaky, permanent], { timeoutMs: 10_000 });
        assert.deepEqual(attempts, [1, 2, 3]);
        assert.deepEqual([a!.status, a!.error?.message], ['exception', 'attempt 3']);
        assert.deepEqual([b!.status, b!.error?.name, permanentRuns], ['exception', 'PermanentJobError', 1]);
      });
    });

    test('concurrencyLimit and serializedDispatch cap how many run at once', async () => {
      await withQueue({ concurrency: 16 }, async (pgq) => {
        const peaks: Record<string, { now: number; peak: number }> = { limited: { now: 0, peak: 0 }, serial: { now: 0, peak: 0 } };
        const done = countdown(30);
        const track = (name: string) => async () => {
          const p = peaks[name]!;
          p.peak = Math.max(p.peak, ++p.now);
          await new Promise((resolve) => setTimeout(resolve, 15));
          p.now--;
          done.tick();
        };
        pgq.entrypoint('limited', { concurrencyLimit: 3 }, track('limited'));
        pgq.entrypoint('serial', { serializedDispatch: true }, track('serial'));
        await pgq.enqueueMany([
          ...Array.from({ length: 20 }, () => ({ entrypoint: 'limited', payload: {} })),
          ...Array.from({ length: 10 }, () => ({ entrypoint: 'serial', payload: {} })),
        ]);
        start(pgq);
        await within(done.done, 20_000, 'the jobs');
        assert.deepEqual([peaks.limited!.peak, peaks.serial!.peak], [3, 1]);
      });
    });

    test('rateLimit: starts stay within the token bucket', async () => {
      await withQueue({ concurrency: 16 }, async (pgq) => {
        const starts: number[] = [];
        const done = countdown(12);
        pgq.entrypoint('rated', { rateLimit: { perSecond: 10, burst: 4 } }, async () => {
          starts.push(performance.now());
          done.tick();
        });
        await pgq.enqueueMany(Array.from({ length: 12 }, () => ({ entrypoint: 'rated', payload: {} })));
        start(pgq);
        await within(done.done, 20_000, 'the jobs');
        for (let i = 0; i < starts.length; i++) {
          for (let j = i; j < starts.length; j++) {
            assert.ok(j - i + 1 <= 4 + (10 * (starts[j]! - starts[i]!)) / 1_000 + 1, `${j - i + 1} starts in ${(starts[j]! - starts[i]!).toFixed(0)} ms`);
          }
        }
      });
    });

    test('cancel: a queued job never runs; a running one sees its signal abort and ends canceled', async () => {
      await withQueue({}, async (pgq) => {
        const started = deferred();
        const reasons: unknown[] = [];
        pgq.entrypoint('cancelable', { retry: { maxAttempts: 3, initialDelayMs: 0 } }, async (_job, ctx) => {
          started.resolve();
          await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => {
            reasons.push(ctx.signal.reason);
            reject(ctx.signal.reason);
          }));
        });
        const queued = await pgq.enqueue('cancelable', {}, { executeAfter: 60_000 });
        assert.deepEqual(await pgq.cancel([queued]), [queued]);
        assert.equal((await pgq.waitFor(queued, { timeoutMs: 5_000 })).status, 'canceled');
        start(pgq);
        const runningId = await pgq.enqueue('cancelable', {});
        await within(started.promise, 10_000, 'the job to start');
        await pgq.cancel([runningId]);
        assert.equal((await pgq.waitFor(runningId, { timeoutMs: 10_000 })).status, 'canceled');
        assert.ok(reasons[0] instanceof JobCanceledSignal);
      });
    });

    test('waitFor: a timeout leaves the job alone; an unknown id is not found', async () => {
      await withQueue({}, async (pgq) => {
        const id = await pgq.enqueue('nobody_handles_this', {});
        await assert.rejects(pgq.waitFor(id, { timeoutMs: 100 }), WaitTimeoutError);
        assert.equal((await pgq.listJobs('nobody_handles_this'))[0]?.status, 'queued');
        await assert.rejects(pgq.waitFor(424_242, { timeoutMs: 5_000 }), JobNotFoundError);
      });
    });

    test('queueSize counts live jobs by entrypoint, status and priority', async () => {
      await withQueue({}, async (pgq) => {
        await pgq.enqueueMany([
          { entrypoint: 'a', payload: {}, priority: 1 },
          { entrypoint: 'a', payload: {}, priority: 1 },
          { entrypoint: 'a', payload: {}, executeAfter: 60_000 },
          { entrypoint: 'b', payload: {} },
        ]);
        assert.deepEqual(await pgq.queueSize(), [
          { entrypoint: 'a', status: 'queued', priority: 1, count: 2, paused: false },
          { entrypoint: 'a', status: 'scheduled', priority: 0, count: 1, paused: false },
          { entrypoint: 'b', status: 'queued', priority: 0, count: 1, paused: false },
        ]);
      });
    });

    test('a per-second schedule fires each tick once, on the second', async () => {
      await withQueue({}, async (pgq) => {
        const ticks: number[] = [];
        const three = countdown(3);
        pgq.schedule('every_second', '* * * * * *', async (tick) => {
          ticks.push(tick.scheduledAt.getTime());
          three.tick();
        });
        start(pgq);
        await within(three.done, 15_000, 'three ticks');
        const sorted = [...ticks].sort((x, y) => x - y);
        for (let i = 1; i < sorted.length; i++) assert.equal(sorted[i]! - sorted[i - 1]!, 1_000);
        assert.deepEqual((await pgq.listSchedules()).map((s) => s.name), ['every_second']);
      });
    });

    test('stop() waits for a running handler to finish before it resolves', async () => {
      const pgq = await backend.open(FAST);
      const started = deferred();
      const release = deferred();
      let finished = false;
      pgq.entrypoint('slow', async () => {
        started.resolve();
        await release.promise;
        finished = true;
      });
      const run = pgq.run({ handleSignals: false });
      await pgq.enqueue('slow', {});
      await within(started.promise, 10_000, 'the job to start');
      const stopping = pgq.stop();
      setTimeout(() => release.resolve(), 50);
      await stopping;
      await run;
      assert.equal(finished, true);
    });

    test('the generated client: typed enqueue validated, handlers registered, typed result', async () => {
      await withQueue({}, async (pgq) => {
        registerHandlers(pgq, handlers);
        const { enqueue } = createClient(pgq);
        await assert.rejects(enqueue.sendReceipt({ to: 'bad' }), ValidationError);
        assert.equal((await pgq.listJobs('sendReceipt')).length, 0, 'a refused payload writes nothing');
        start(pgq);
        const handle = await enqueue.sendReceipt({ to: 'a@b.co' });
        assert.deepEqual(await handle.result({ timeoutMs: 10_000 }), { receiptId: 'a@b.co:0' }, 'the handler saw the default');
        assert.deepEqual((await pgq.listSchedules()).map((s) => s.name), ['nightly']);
      });
    });

    test('bad options are refused with ConfigError, naming the option', async () => {
      await withQueue({}, async (pgq) => {
        assert.throws(() => pgq.entrypoint('x', { concurrencyLimit: -1 }, async () => {}), ConfigError);
        await assert.rejects(pgq.enqueue('x', {}, { priority: 0.5 }), /priority must be an integer/);
      });
    });
  });
}
