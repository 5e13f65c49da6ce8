/**
 * Fair limits per group, through the public API, on every backend: the fairness figure of a
 * backlog against a newcomer, per-key serialization from the schema file, and the options'
 * errors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from 'pgqueuer';
import * as handlers from './fixture/handlers/index.js';
import { tenantReportRuns } from './fixture/handlers/tenantReport.js';
import { createClient, registerHandlers } from './fixture/pgq.generated.js';
import { countdown, deferred, within } from '../support/wait.js';
import { queueRunner, type Backend } from './backend.js';

export function groups(backend: Backend): void {
  const withQueue = queueRunner(backend);

  describe(`fair limits per group on ${backend.name}`, () => {
    test("a newcomer's 10 jobs all start before a 10,000-job backlog completes 200 more (groupConcurrency 2, concurrency 10)", async (t) => {
      await withQueue({ concurrency: 10 }, async (pgq) => {
        let aCompleted = 0;
        let bStarted = 0;
        let peak = 0;
        const running = new Map<string, number>();
        const backlogUnderway = countdown(20);
        const newcomerStarted = deferred<number>();
        pgq.entrypoint<{ tenant: string }>('report', { groupConcurrency: 2 }, async (job) => {
          const tenant = job.payload.tenant;
          running.set(tenant, (running.get(tenant) ?? 0) + 1);
          peak = Math.max(peak, running.get(tenant)!);
          if (tenant === 'B' && ++bStarted === 10) newcomerStarted.resolve(aCompleted);
          await new Promise((resolve) => setImmediate(resolve));
          running.set(tenant, running.get(tenant)! - 1);
          if (tenant === 'A') {
            aCompleted++;
            backlogUnderway.tick();
          }
        });
        await pgq.enqueueMany(Array.from({ length: 10_000 }, () => ({ entrypoint: 'report', payload: { tenant: 'A' }, group: 'A' })));
        pgq.start();
        await within(backlogUnderway.done, 30_000, 'the backlog to be underway');
        const before = aCompleted;
        await pgq.enqueueMany(Array.from({ length: 10 }, () => ({ entrypoint: 'report', payload: { tenant: 'B' }, group: 'B' })));
        const atLastStart = await within(newcomerStarted.promise, 30_000, "the newcomer's jobs to start");
        // The figure the README quotes, printed with the test's result.
        t.diagnostic(`the backlog completed ${atLastStart - before} more jobs before the newcomer's last one started`);
        assert.ok(atLastStart - before < 200, `the backlog completed ${atLastStart - before} jobs before the newcomer's last one started`);
        assert.equal(peak, 2, 'no group ran more than 2 at once');
      });
    });

    test("the schema file's group and groupConcurrency 1: each tenant's jobs run one at a time, in order", async () => {
      await withQueue({ concurrency: 8 }, async (pgq) => {
        tenantReportRuns.order.length = 0;
        tenantReportRuns.peak = 0;
        registerHandlers(pgq, handlers);
        const { enqueue } = createClient(pgq);
        const handles = await enqueue.tenantReport.many(
          Array.from({ length: 24 }, (_, i) => ({ payload: { tenant: `t${i % 3}`, n: Math.floor(i / 3) } })),
        );
        assert.deepEqual((await pgq.getJob(handles[4]!.id))?.headers?.['pgq-group'], 't1', 'the group comes from the payload');
        pgq.start();
        await within(Promise.all(handles.map((h) => h.result({ timeoutMs: 30_000 }))), 30_000, 'the reports');
        assert.equal(tenantReportRuns.peak, 1, 'one job per tenant at a time');
        for (const tenant of ['t0', 't1', 't2']) {
          assert.deepEqual(tenantReportRuns.order.filter((r) => r.tenant === tenant).map((r) => r.n), [0, 1, 2, 3, 4, 5, 6, 7], `${tenant} in order`);
        }
      });
    });

    test('a bad group or groupConcurrency is refused with ConfigError, naming it, and writes nothing', async () => {
      await withQueue({}, async (pgq) => {
        assert.throws(() => pgq.entrypoint('x', { groupConcurrency: 0 }, async () => {}), /entrypoint "x": groupConcurrency must be a positive integer/);
        await assert.rejects(pgq.enqueue('x', {}, { group: '' }), (err) => err instanceof ConfigError && /^enqueue: group must be a non-empty string/.test(err.message));
        await assert.rejects(
          pgq.enqueueMany([{ entrypoint: 'x', payload: {}, group: 'ok' }, { entrypoint: 'x', payload: {}, group: 'g'.repeat(2_000) }]),
          /jobs\[1\]: group is 2000 bytes, over the limit of 1024 bytes/,
        );
        const { enqueue } = createClient(pgq);
        await assert.rejects(enqueue.tenantReport({ tenant: '', n: 1 }), /enqueue\.tenantReport: the schema's "group" must return a non-empty string, got ""/);
        assert.equal((await pgq.listJobs('x')).length + (await pgq.listJobs('tenantReport')).length, 0);
      });
    });
  });
}
