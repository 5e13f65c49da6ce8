/**
 * The job lifecycle (issue 14), written once and run on every backend: inspect, hold and
 * requeue, delete and clear, pause and resume, timeouts, snoozes, dedupe modes and windows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DuplicateJobError, RetryLaterError, type JobContext, type Logger } from 'pgqueuer';
import { countdown, deferred, until, within } from '../support/wait.js';
import { queueRunner, type Backend } from './backend.js';

const WAIT = { timeoutMs: 10_000 };

/** A logger that keeps the messages of its warnings. */
function warningsLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const quiet = () => {};
  return { warnings, debug: quiet, info: quiet, error: quiet, warn: (_obj: object, msg?: string) => void warnings.push(msg ?? '') };
}

export function lifecycle(backend: Backend): void {
  const withQueue = queueRunner(backend);

  describe(`job lifecycle on ${backend.name}`, () => {
    describe('inspect', () => {
      test('getJob: a live job, then the same job finished, with every attempt in its history', async () => {
        await withQueue({}, async (pgq) => {
          let runs = 0;
          pgq.entrypoint('inspected', { retry: { maxAttempts: 2, initialDelayMs: 0 } }, async () => {
            if (++runs === 1) throw new Error('first attempt fails');
            return { ok: true };
          });
          const id = await pgq.enqueue('inspected', { n: 1 }, { headers: { tenant: 'acme' }, priority: 3 });
          const live = await pgq.getJob(id);
          assert.deepEqual(
            { ...live!, createdAt: undefined, executeAfter: undefined },
            { id, entrypoint: 'inspected', status: 'queued', priority: 3, payload: { n: 1 }, headers: { tenant: 'acme' }, attempts: 0, history: [], children: [], createdAt: undefined, executeAfter: undefined },
          );
          pgq.start();
          await pgq.waitFor(id, WAIT);
          const done = (await pgq.getJob(id))!;
          assert.deepEqual([done.status, done.attempts, done.result, done.payload], ['successful', 2, { ok: true }, null]);
          assert.deepEqual(done.history.map((h) => [h.attempt, h.status, h.error?.message]), [[1, 'retried', 'first attempt fails'], [2, 'successful', undefined]]);
          for (const h of done.history) {
            assert.ok(h.startedAt instanceof Date && h.finishedAt >= h.startedAt, 'started and finished');
            assert.equal(typeof h.durationMs, 'number');
            assert.equal(h.workerId, pgq.workerId);
          }
          assert.equal(await pgq.getJob(987_654), null);
        });
      });

      test('listJobs: newest first, live and finished together, filtered, a page at a time', async () => {
        await withQueue({}, async (pgq) => {
          pgq.entrypoint('listed', async (job) => {
            if ((job.payload as { fail?: boolean }).fail) throw new Error('no');
          });
          const [a, b] = await pgq.enqueueMany([
            { entrypoint: 'listed', payload: {} },
            { entrypoint: 'listed', payload: { fail: true } },
          ]);
          pgq.start();
          await pgq.waitForAll([a!, b!], WAIT);
          const [c, d, e] = await pgq.enqueueMany([
            { entrypoint: 'listed', payload: {}, executeAfter: 60_000 },
            { entrypoint: 'other', payload: {} },
            { entrypoint: 'listed', payload: {}, executeAfter: 60_000 },
          ]);
          const all = await pgq.listJobs();
          assert.deepEqual(all.jobs.map((j) => [j.id, j.status]), [[e, 'scheduled'], [d, 'queued'], [c, 'scheduled'], [b, 'exception'], [a, 'successful']]);
          assert.equal(all.next, null);
          assert.deepEqual((await pgq.listJobs({ entrypoint: 'listed', status: 'scheduled' })).jobs.map((j) => j.id), [e, c]);
          assert.deepEqual((await pgq.listJobs({ status: 'exception' })).jobs.map((j) => [j.id, j.error?.message, j.payload]), [[b, 'no', { fail: true }]]);
          const first = await pgq.listJobs({ entrypoint: 'listed', limit: 2 });
          assert.deepEqual([first.jobs.map((j) => j.id), first.next], [[e, c], c]);
          const second = await pgq.listJobs({ entrypoint: 'listed', limit: 2, after: first.next! });
          assert.deepEqual([second.jobs.map((j) => j.id), second.next], [[b, a], null]);
          await assert.rejects(pgq.listJobs({ status: 'lost' as never }), /status must be one of/);
        });
      });
    });

    describe('hold, requeue, delete, clear', () => {
      test('a held job keeps its payload and error, frees its key, and a requeue runs it again under its id', async () => {
        await withQueue({}, async (pgq) => {
          let fixed = false;
          pgq.entrypoint('fragile', { onFailure: 'hold' }, async () => {
            if (!fixed) throw new Error('the upstream is down');
            return 'done';
          });
          pgq.start();
          const id = await pgq.enqueue('fragile', { order: 7 }, { dedupeKey: 'order-7' });
          const held = await pgq.waitFor(id, WAIT);
          assert.deepEqual([held.status, held.error?.message], ['held', 'the upstream is down']);
          const info = (await pgq.getJob(id))!;
          assert.deepEqual([info.status, info.payload, info.error?.message], ['held', { order: 7 }, 'the upstream is down']);
          assert.deepEqual(info.history.map((h) => h.status), ['exception']);
          // The key is free for a new job (deleted again here, before it runs into the same failure).
          const other = await pgq.enqueue('fragile', {}, { dedupeKey: 'order-7', executeAfter: 60_000 });
          assert.ok(other > id);
          assert.deepEqual(await pgq.deleteJobs([other]), [other]);
          fixed = true;
          assert.deepEqual(await pgq.requeue([id]), [id]);
          const again = await pgq.waitFor(id, WAIT);
          assert.deepEqual([again.status, again.result], ['successful', 'done']);
          const after = (await pgq.getJob(id))!;
          assert.deepEqual(after.history.map((h) => [h.attempt, h.status]), [[1, 'exception'], [1, 'successful']], 'attempts start again; history kept');
        });
      });

      test('requeue of a finished failure enqueues a new job that records where it came from', async () => {
        await withQueue({}, async (pgq) => {
          const seen: unknown[] = [];
          pgq.entrypoint('once', async (job) => {
            seen.push(job.payload);
            if (seen.length === 1) throw new Error('no');
          });
          pgq.start();
          const id = await pgq.enqueue('once', { k: 1 }, { headers: { h: 1 } });
          assert.equal((await pgq.waitFor(id, WAIT)).status, 'exception');
          const [copy] = await pgq.requeue([id, 424_242]);
          assert.ok(copy! > id);
          assert.equal((await pgq.waitFor(copy!, WAIT)).status, 'successful');
          const info = (await pgq.getJob(copy!))!;
          assert.deepEqual([info.requeuedFrom, seen], [id, [{ k: 1 }, { k: 1 }]]);
          assert.equal((await pgq.getJob(id))!.status, 'exception', 'the original keeps its outcome');
        });
      });

      test('requeue({ status: "held" }) takes every held job of one entrypoint', async () => {
        await withQueue({}, async (pgq) => {
          let failing = true;
          const handler = async () => {
            if (failing) throw new Error('down');
          };
          pgq.entrypoint('held_a', { onFailure: 'hold' }, handler);
          pgq.entrypoint('held_b', { onFailure: 'hold' }, handler);
          pgq.start();
          const ids = await pgq.enqueueMany([{ entrypoint: 'held_a', payload: {} }, { entrypoint: 'held_a', payload: {} }, { entrypoint: 'held_b', payload: {} }]);
          await pgq.waitForAll(ids, WAIT);
          failing = false;
          // Paused, a requeued job waits in the queue: as it is between requeue and its next run.
          await pgq.pause('held_a');
          assert.deepEqual(await pgq.requeue({ entrypoint: 'held_a', status: 'held' }), ids.slice(0, 2));
          const requeued = (await pgq.getJob(ids[0]!))!;
          assert.deepEqual([requeued.status, requeued.attempts, requeued.error], ['queued', 0, undefined], 'attempts reset, the held error cleared');
          await pgq.resume('held_a');
          assert.deepEqual((await pgq.waitForAll(ids.slice(0, 2), WAIT)).map((c) => c.status), ['successful', 'successful']);
          assert.equal((await pgq.getJob(ids[2]!))!.status, 'held');
          await assert.rejects(pgq.requeue({ status: 'exception' } as never), /job ids, or \{ entrypoint\?, status: "held" \}/);
        });
      });

      test('held jobs are never pruned by retention', async () => {
        await withQueue({ retention: { maxAgeMs: 1, intervalMs: 50 } }, async (pgq) => {
          pgq.entrypoint('kept', { onFailure: 'hold' }, async () => {
            throw new Error('held for good');
          });
          pgq.entrypoint('pruned', async () => {});
          pgq.start();
          const [held, done] = await pgq.enqueueMany([{ entrypoint: 'kept', payload: { x: 1 } }, { entrypoint: 'pruned', payload: {} }]);
          // Not waitFor(done): it may finish and be pruned before a waiter looks.
          await pgq.waitFor(held!, WAIT);
          await until(async () => (await pgq.getJob(done!)) === null, 10_000, 'the finished job pruned');
          const info = (await pgq.getJob(held!))!;
          assert.deepEqual([info.status, info.payload, info.error?.message], ['held', { x: 1 }, 'held for good']);
        });
      });

      test('deleteJobs removes queued, scheduled and held jobs, not running ones; clear empties an entrypoint', async () => {
        await withQueue({}, async (pgq) => {
          const release = deferred();
          const running = deferred();
          pgq.entrypoint('busy', async () => {
            running.resolve();
            await release.promise;
          });
          pgq.start();
          const busy = await pgq.enqueue('busy', {});
          await within(running.promise, 10_000, 'the running job');
          const [queued, scheduled] = await pgq.enqueueMany([
            { entrypoint: 'idle', payload: {} },
            { entrypoint: 'idle', payload: {}, executeAfter: 60_000 },
            { entrypoint: 'idle', payload: {} },
            { entrypoint: 'elsewhere', payload: {} },
          ]);
          assert.deepEqual(await pgq.deleteJobs([queued!, scheduled!, busy, 555_555]), [queued, scheduled]);
          assert.equal(await pgq.clear('idle'), 1);
          assert.deepEqual((await pgq.listJobs({ entrypoint: 'idle' })).jobs, []);
          assert.equal(await pgq.clear(), 1, 'the other entrypoint');
          assert.equal((await pgq.getJob(busy))!.status, 'picked');
          release.resolve();
          assert.equal((await pgq.waitFor(busy, WAIT)).status, 'successful');
        });
      });
    });

    describe('pause and resume', () => {
      test('a paused entrypoint claims nothing, its jobs wait and show as paused; resume runs them at once', async () => {
        await withQueue({}, async (pgq) => {
          const ran: string[] = [];
          pgq.entrypoint('pausable', async () => void ran.push('pausable'));
          pgq.entrypoint('free', async () => void ran.push('free'));
          await pgq.pause('pausable');
          assert.deepEqual(await pgq.pausedEntrypoints(), ['pausable']);
          pgq.start();
          const paused = await pgq.enqueue('pausable', {});
          // A job enqueued after it runs: the worker claimed since, and left the paused one alone.
          await pgq.waitFor(await pgq.enqueue('free', {}), WAIT);
          assert.deepEqual(ran, ['free']);
          assert.deepEqual((await pgq.queueSize()).find((r) => r.entrypoint === 'pausable'), { entrypoint: 'pausable', status: 'queued', priority: 0, count: 1, paused: true });
          await pgq.resume('pausable');
          assert.equal((await pgq.waitFor(paused, { timeoutMs: 1_000 })).status, 'successful', 'resumed without waiting for the poll');
          assert.deepEqual(await pgq.pausedEntrypoints(), []);
        });
      });
    });

    describe('pause and resume, with jobs claimed ahead', () => {
      test('pausing lets go of the jobs a worker claimed ahead: none of them starts', async () => {
        await withQueue({ concurrency: 1 }, async (pgq) => {
          const blocker = deferred();
          const blocking = deferred();
          let started = 0;
          pgq.entrypoint('warm', async () => {});
          pgq.entrypoint('ahead', async (job) => {
            if ((job.payload as { block?: boolean }).block) {
              blocking.resolve();
              await blocker.promise;
            } else started++;
          });
          pgq.start();
          // Fast handlers first, so the worker's pace says it may claim ahead of its one slot.
          await pgq.waitForAll(await pgq.enqueueMany(Array.from({ length: 20 }, () => ({ entrypoint: 'warm', payload: {} }))), WAIT);
          await pgq.enqueue('ahead', { block: true });
          await within(blocking.promise, 10_000, 'the blocking job');
          await pgq.enqueueMany(Array.from({ length: 10 }, () => ({ entrypoint: 'ahead', payload: {} })));
          await pgq.pause('ahead');
          // The worker hears of the pause a moment later, and gives back what it claimed ahead.
          await until(
            async () => (await pgq.queueSize()).find((r) => r.entrypoint === 'ahead' && r.status === 'queued')?.count === 10,
            10_000,
            'the jobs claimed ahead given back',
          );
          blocker.resolve();
          // Once another job ran after the pause, the worker had its chance at the ten.
          await pgq.waitFor(await pgq.enqueue('warm', {}), WAIT);
          assert.equal(started, 0);
          assert.deepEqual((await pgq.queueSize()).find((r) => r.entrypoint === 'ahead'), { entrypoint: 'ahead', status: 'queued', priority: 0, count: 10, paused: true });
        });
      });
    });

    describe('timeouts and snoozes', () => {
      test('a timeout aborts the attempt, which fails with JobTimeoutError and is retried', async () => {
        await withQueue({}, async (pgq) => {
          pgq.entrypoint('slowpoke', { timeoutMs: 100, retry: { maxAttempts: 2, initialDelayMs: 0 } }, async (job, ctx: JobContext) => {
            if (job.attempt === 2) return 'quick this time';
            await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
          });
          pgq.start();
          const id = await pgq.enqueue('slowpoke', {});
          assert.deepEqual(await pgq.waitFor(id, WAIT), { id, status: 'successful', result: 'quick this time' });
          const first = (await pgq.getJob(id))!.history[0]!;
          assert.deepEqual([first.status, first.error?.name], ['retried', 'JobTimeoutError']);
        });
      });

      test('a handler that ignores its timeout loses its slot after a short grace; its late result is ignored', async () => {
        const logger = warningsLogger();
        let id = 0;
        await withQueue({ concurrency: 1, logger }, async (pgq) => {
          const late = deferred<string>();
          const next = countdown(1);
          pgq.entrypoint('stubborn', { timeoutMs: 100, onFailure: 'log' }, async (job) => (job.attempt === 1 ? late.promise : 'second'));
          pgq.entrypoint('after', async () => next.tick());
          pgq.start();
          id = await pgq.enqueue('stubborn', {});
          await pgq.enqueue('after', {});
          // With one slot, the other job runs only once the stubborn handler's slot is freed.
          await within(next.done, 10_000, 'the slot freed');
          const failed = await pgq.waitFor(id, WAIT);
          assert.deepEqual([failed.status, failed.error?.name], ['exception', 'JobTimeoutError']);
          late.resolve('too late');
          assert.match(failed.error!.message, /timed out after 100 ms/);
          const info = (await pgq.getJob(id))!;
          assert.deepEqual([info.status, info.history.length], ['exception', 1], 'the late result changed nothing');
        });
        // Stopped: anything the late result set off has been written, or tried to be.
        assert.deepEqual(logger.warnings, [
          'pgqueuer: a timed-out handler ignored its signal; its attempt is failed and its slot freed',
          `pgqueuer: job ${id} (stubborn) attempt 1 failed; no attempts left`,
        ]);
      });

      test('a handler that returns after its timeout, within the grace, still fails with JobTimeoutError', async () => {
        await withQueue({}, async (pgq) => {
          pgq.entrypoint('overtime', { timeoutMs: 50 }, async (_job, ctx: JobContext) => {
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
            return 'done, but late';
          });
          pgq.start();
          const done = await pgq.waitFor(await pgq.enqueue('overtime', {}), WAIT);
          assert.deepEqual([done.status, done.error?.name, done.result], ['exception', 'JobTimeoutError', undefined]);
        });
      });

      test('the slot stays taken while a timed-out handler winds down within the grace; only the failed attempt is warned', async () => {
        const logger = warningsLogger();
        let first = 0;
        await withQueue({ concurrency: 1, logger }, async (pgq) => {
          let settledAt = 0;
          let nextStartedAt = 0;
          pgq.entrypoint('winding', { timeoutMs: 100 }, async (_job, ctx: JobContext) => {
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
            // Cleaning up for 300 ms: well within the grace.
            await new Promise((resolve) => setTimeout(resolve, 300));
            settledAt = performance.now();
            throw ctx.signal.reason;
          });
          pgq.entrypoint('next', async () => void (nextStartedAt = performance.now()));
          pgq.start();
          first = await pgq.enqueue('winding', {});
          const next = await pgq.enqueue('next', {});
          await pgq.waitForAll([first, next], WAIT);
          assert.ok(nextStartedAt >= settledAt, `the next job started ${(settledAt - nextStartedAt).toFixed(0)} ms before the slot was free`);
        });
        assert.deepEqual(logger.warnings, [`pgqueuer: job ${first} (winding) attempt 1 failed; no attempts left`]);
      });

      test('RetryLaterError snoozes: the job runs again later without using its retry budget', async () => {
        await withQueue({}, async (pgq) => {
          pgq.entrypoint('sleepy', async (job) => {
            if (job.attempt <= 2) throw new RetryLaterError(20, 'not yet');
            return job.attempt;
          });
          pgq.start();
          const id = await pgq.enqueue('sleepy', {});
          assert.deepEqual(await pgq.waitFor(id, WAIT), { id, status: 'successful', result: 3 });
          const info = (await pgq.getJob(id))!;
          assert.deepEqual(info.history.map((h) => [h.status, h.error?.message]), [
            ['snoozed', 'retry later (in 20 ms): not yet'],
            ['snoozed', 'retry later (in 20 ms): not yet'],
            ['successful', undefined],
          ]);
        });
      });

      test('a schedule takes timeoutMs and onFailure too: a tick that overruns is held', async () => {
        await withQueue({}, async (pgq) => {
          pgq.schedule('overrun', '* * * * * *', async (_tick, ctx: JobContext) => {
            await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
          }, { timeoutMs: 50, onFailure: 'hold' });
          pgq.start();
          const [held] = await until(async () => {
            const { jobs } = await pgq.listJobs({ entrypoint: 'overrun', status: 'held' });
            return jobs.length > 0 ? jobs : undefined;
          }, 15_000, 'a held tick');
          assert.equal(held!.error?.name, 'JobTimeoutError');
        });
      });

      test('a job that snoozes more than maxSnoozes times fails, saying so', async () => {
        await withQueue({}, async (pgq) => {
          pgq.entrypoint('insomniac', { maxSnoozes: 3 }, async () => {
            throw new RetryLaterError(0);
          });
          pgq.start();
          const id = await pgq.enqueue('insomniac', {});
          const done = await pgq.waitFor(id, WAIT);
          assert.deepEqual([done.status, done.error?.name], ['exception', 'TooManySnoozes']);
          const info = (await pgq.getJob(id))!;
          assert.deepEqual(info.history.map((h) => h.status), ['snoozed', 'snoozed', 'snoozed', 'exception']);
          assert.throws(() => new RetryLaterError(-1), /delayMs must be milliseconds/);
        });
      });
    });

    describe('dedupe modes', () => {
      test('onConflict skip: 50 concurrent enqueues of one key make one job, and every caller gets its id', async () => {
        await withQueue({}, async (pgq) => {
          // Open the pool's connections first, so the enqueues really run side by side.
          await Promise.all(Array.from({ length: 20 }, () => pgq.queueSize()));
          for (const key of ['one', 'two', 'three', 'four', 'five']) {
            const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => pgq.enqueue('skipper', { i }, { dedupeKey: key, onConflict: 'skip' })));
            assert.ok(ids.every((id) => typeof id === 'number'), `${key}: every caller gets an id (${ids.join(', ')})`);
            assert.equal(new Set(ids).size, 1, key);
          }
          assert.equal((await pgq.listJobs({ entrypoint: 'skipper' })).jobs.length, 5);
        });
      });

      test('onConflict replace: 50 concurrent enqueues leave one job holding the last payload written; a running holder is refused', async () => {
        await withQueue({}, async (pgq) => {
          const ids = await Promise.all(
            Array.from({ length: 50 }, (_, i) => pgq.enqueue('replacer', { i }, { dedupeKey: 'one', onConflict: 'replace', priority: i })),
          );
          assert.equal(new Set(ids).size, 1);
          const [job] = (await pgq.listJobs({ entrypoint: 'replacer' })).jobs;
          assert.equal((job!.payload as { i: number }).i, job!.priority, 'payload and priority come from the same enqueue');
          // A running holder cannot be replaced.
          const running = deferred();
          const release = deferred();
          pgq.entrypoint('replacer', async () => {
            running.resolve();
            await release.promise;
          });
          pgq.start();
          await within(running.promise, 10_000, 'the holder running');
          await assert.rejects(pgq.enqueue('replacer', {}, { dedupeKey: 'one', onConflict: 'replace' }), (err: unknown) => {
            assert.ok(err instanceof DuplicateJobError);
            assert.deepEqual(err.duplicates, [{ entrypoint: 'replacer', dedupeKey: 'one', reason: 'running' }]);
            return true;
          });
          assert.equal(await pgq.enqueue('replacer', {}, { dedupeKey: 'one', onConflict: 'skip' }), ids[0]);
          release.resolve();
        });
      });

      test('enqueueMany applies onConflict per item, in one call', async () => {
        await withQueue({}, async (pgq) => {
          const [held] = await pgq.enqueueMany([{ entrypoint: 'mixed', payload: { v: 1 }, dedupeKey: 'a' }]);
          const ids = await pgq.enqueueMany([
            { entrypoint: 'mixed', payload: { v: 2 }, dedupeKey: 'a', onConflict: 'skip' },
            { entrypoint: 'mixed', payload: { v: 3 } },
            { entrypoint: 'mixed', payload: { v: 4 }, dedupeKey: 'b' },
          ]);
          assert.equal(ids[0], held);
          assert.equal(ids.length, 3);
          const [, , replaced] = await pgq.enqueueMany([
            { entrypoint: 'mixed', payload: {} },
            { entrypoint: 'mixed', payload: {}, dedupeKey: 'c' },
            { entrypoint: 'mixed', payload: { v: 5 }, dedupeKey: 'a', onConflict: 'replace' },
          ]);
          assert.equal(replaced, held);
          assert.deepEqual((await pgq.getJob(held!))!.payload, { v: 5 });
          // One refused item refuses the batch.
          await assert.rejects(
            pgq.enqueueMany([{ entrypoint: 'mixed', payload: {} }, { entrypoint: 'mixed', payload: {}, dedupeKey: 'b' }]),
            DuplicateJobError,
          );
          assert.equal((await pgq.listJobs({ entrypoint: 'mixed' })).jobs.length, 5);
        });
      });

      test('dedupeWindowMs keeps the key taken for a while after its job finished', async () => {
        await withQueue({}, async (pgq) => {
          pgq.entrypoint('windowed', async () => {});
          pgq.start();
          const id = await pgq.enqueue('windowed', {}, { dedupeKey: 'daily', dedupeWindowMs: 60_000 });
          await pgq.waitFor(id, WAIT);
          await assert.rejects(pgq.enqueue('windowed', {}, { dedupeKey: 'daily' }), (err: unknown) => {
            assert.ok(err instanceof DuplicateJobError);
            assert.equal(err.duplicates[0]!.reason, 'window');
            return true;
          });
          assert.equal(await pgq.enqueue('windowed', {}, { dedupeKey: 'daily', onConflict: 'skip' }), id, 'skip returns the finished job');
          // Without a window the key is free the moment the job finishes.
          const plain = await pgq.enqueue('windowed', {}, { dedupeKey: 'plain' });
          await pgq.waitFor(plain, WAIT);
          assert.ok((await pgq.enqueue('windowed', {}, { dedupeKey: 'plain' })) > plain);
          await assert.rejects(pgq.enqueue('windowed', {}, { dedupeWindowMs: 5 }), /apply to a dedupeKey/);
          // A window ends: the key can be taken again.
          const brief = await pgq.enqueue('windowed', {}, { dedupeKey: 'brief', dedupeWindowMs: 150 });
          await pgq.waitFor(brief, WAIT);
          const again = await until(
            () => pgq.enqueue('windowed', {}, { dedupeKey: 'brief' }).catch((err) => (err instanceof DuplicateJobError ? undefined : Promise.reject(err))),
            10_000,
            'the key free after its window',
          );
          assert.ok(again > brief);
        });
      });
    });

    test('a running job canceled whose handler then returns anyway is recorded canceled', async () => {
      await withQueue({}, async (pgq) => {
        const running = deferred();
        const release = deferred();
        pgq.entrypoint('obstinate', async () => {
          running.resolve();
          await release.promise; // ignores ctx.signal
          return 'finished anyway';
        });
        pgq.start();
        const id = await pgq.enqueue('obstinate', {});
        await within(running.promise, 10_000, 'the job running');
        await pgq.cancel([id]);
        release.resolve();
        assert.equal((await pgq.waitFor(id, WAIT)).status, 'canceled');
      });
    });
  });
}
