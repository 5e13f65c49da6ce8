/**
 * Jobs that wait for other jobs, through the public API, on every backend: fan-out and fan-in
 * with the parents' results, failure policies, flows in one call, waitFor on a flow's end.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, ParentNotFoundError } from 'pgqueuer';
import * as handlers from './fixture/handlers/index.js';
import { createClient, registerHandlers } from './fixture/pgq.generated.js';
import { countdown, deferred, within } from '../support/wait.js';
import { queueRunner, type Backend } from './backend.js';

export function dependencies(backend: Backend): void {
  const withQueue = queueRunner(backend);

  describe(`job dependencies on ${backend.name}`, () => {
    test('fan-out then fan-in: children run after their parent, the last job after all of them, with their results in order', async () => {
      await withQueue({ concurrency: 4 }, async (pgq) => {
        const events: string[] = [];
        pgq.entrypoint<{ key: string }>('fetch', async (job) => {
          events.push(`fetch ${job.payload.key}`);
          return { bytes: job.payload.key.length };
        });
        pgq.entrypoint<{ width: number }>('resize', async (job, ctx) => {
          events.push(`resize ${job.payload.width}`);
          assert.deepEqual(ctx.parents.map((p) => p.status), ['successful']);
          return { width: job.payload.width, from: (ctx.parents[0]!.result as { bytes: number }).bytes };
        });
        pgq.entrypoint('publish', async (_job, ctx) => {
          events.push('publish');
          return ctx.parents.map((p) => p.result);
        });
        const fetch = await pgq.enqueue('fetch', { key: 'photo' });
        const widths = [300, 100, 200];
        const resizes = await pgq.enqueueMany(widths.map((width) => ({ entrypoint: 'resize', payload: { width }, after: [fetch] })));
        const publish = await pgq.enqueue('publish', {}, { after: resizes });
        assert.equal((await pgq.getJob(publish))?.status, 'blocked');
        pgq.start();
        const done = await pgq.waitFor(publish, { timeoutMs: 15_000 });
        assert.deepEqual(done, { id: publish, status: 'successful', result: widths.map((width) => ({ width, from: 5 })) });
        assert.equal(events[0], 'fetch photo');
        assert.equal(events.at(-1), 'publish');
        assert.deepEqual(new Set(events.slice(1, 4)), new Set(widths.map((w) => `resize ${w}`)));
        const info = await pgq.getJob(fetch);
        assert.deepEqual(info?.children, resizes);
        assert.deepEqual((await pgq.getJob(publish))?.parents, resizes);
      });
    });

    test('a failed parent cancels its children (the reason names it) unless their entrypoint runs on parent failure', async () => {
      await withQueue({}, async (pgq) => {
        const ran = deferred<unknown>();
        pgq.entrypoint('extract', async () => {
          throw new Error('corrupt archive');
        });
        pgq.entrypoint('index', async () => 'never');
        pgq.entrypoint('cleanup', { onParentFailure: 'run' }, async (_job, ctx) => {
          ran.resolve(ctx.parents);
          return 'cleaned';
        });
        const extract = await pgq.enqueue('extract', {});
        const [index, cleanup] = await pgq.enqueueMany([
          { entrypoint: 'index', payload: {}, after: [extract] },
          { entrypoint: 'cleanup', payload: {}, after: [extract] },
        ]);
        pgq.start();
        const canceled = await pgq.waitFor(index!, { timeoutMs: 15_000 });
        assert.equal(canceled.status, 'canceled');
        assert.equal(canceled.error?.name, 'ParentFailedError');
        assert.match(canceled.error!.message, new RegExp(`parent job ${extract} ended exception`));
        assert.deepEqual(await within(ran.promise, 15_000, 'the cleanup to run'), [{ id: extract, status: 'exception', result: undefined }]);
        assert.equal((await pgq.waitFor(cleanup!, { timeoutMs: 15_000 })).status, 'successful');
      });
    });

    test('a flow in one enqueueMany ({ item } references); canceling its first job cancels the rest', async () => {
      await withQueue({}, async (pgq) => {
        const [first, second, third] = await pgq.enqueueMany([
          { entrypoint: 'step', payload: { n: 1 }, executeAfter: 60_000 },
          { entrypoint: 'step', payload: { n: 2 }, after: [{ item: 0 }] },
          { entrypoint: 'step', payload: { n: 3 }, after: [{ item: 1 }, { item: 0 }] },
        ]);
        assert.deepEqual((await pgq.getJob(third!))?.parents, [second, first]);
        await pgq.cancel([first!]);
        const ended = await pgq.waitForAll([second!, third!], { timeoutMs: 10_000 });
        assert.deepEqual(ended.map((e) => e.status), ['canceled', 'canceled']);
      });
    });

    test('typed: a schema entry with `after` takes its parents by name and reads their typed results', async () => {
      await withQueue({}, async (pgq) => {
        registerHandlers(pgq, handlers);
        const { enqueue } = createClient(pgq);
        const first = await enqueue.sendReceipt({ to: 'a@b.co' });
        const second = await enqueue.sendReceipt({ to: 'c@d.co', lines: ['tea'] });
        const ship = await enqueue.shipOrder({ orderId: 7 }, { after: { receipts: [first, second] } });
        pgq.start();
        assert.deepEqual(await ship.result({ timeoutMs: 15_000 }), { label: 'order 7: a@b.co:0, c@d.co:1' });
        assert.deepEqual((await pgq.getJob(ship.id))?.parents, [first.id, second.id]);
        // A JavaScript caller has no compiler: the same rules hold at run time.
        await assert.rejects(enqueue.shipOrder({ orderId: 8 }, { after: { receipts: [ship as never] } }), /after\.receipts\[0\] must be a handle of a sendReceipt job/);
        await assert.rejects(enqueue.shipOrder({ orderId: 8 }, {} as never), /after must be \{ receipts: \[handles\] \}/);
        await assert.rejects(enqueue.shipOrder({ orderId: 8 }, { after: { receipts: [], extra: [] } as never }), /"extra" is not a parent of shipOrder/);
      });
    });

    test('handles are parents too; a bad `after` is a ConfigError and an unknown parent writes nothing', async () => {
      await withQueue({}, async (pgq) => {
        const started = countdown(2);
        pgq.entrypoint('work', async () => started.tick());
        const parent = await pgq.enqueue('work', {});
        const child = await pgq.enqueue('work', {}, { after: [{ id: parent }] });
        pgq.start();
        await within(started.done, 15_000, 'both jobs');
        assert.equal((await pgq.waitFor(child, { timeoutMs: 10_000 })).status, 'successful');
        await assert.rejects(pgq.enqueueMany([{ entrypoint: 'work', payload: {}, after: [{ item: 0 }] }]), /after\[0\]: \{ item \} must name an earlier item/);
        await assert.rejects(pgq.enqueue('work', {}, { after: [0] }), ConfigError);
        await assert.rejects(pgq.enqueue('work', {}, { after: 'nope' as never }), /after must be an array/);
        await assert.rejects(pgq.enqueue('work', {}, { after: [parent], dedupeKey: 'k' }), /cannot have a dedupeKey/);
        const before = (await pgq.listJobs({ entrypoint: 'other' })).jobs.length;
        await assert.rejects(pgq.enqueueMany([{ entrypoint: 'other', payload: {} }, { entrypoint: 'other', payload: {}, after: [987_654_321] }]), ParentNotFoundError);
        assert.equal((await pgq.listJobs({ entrypoint: 'other' })).jobs.length, before);
      });
    });
  });
}
