/**
 * Payload versions across deploys, written once and run against every backend: a worker reads
 * jobs of earlier versions through their upcasters, runs jobs of unknown versions that still
 * fit, gives back those that do not (bounded), and checks unstamped rows as before.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { bindHandlers, defineJobs, FINGERPRINT_HEADER, fingerprint, type Job, type JobContext } from 'pgqueuer';
import { payloadFingerprint } from '../../src/schema/json-schema.js';
import { queueRunner, type Backend } from './backend.js';

const v1 = z.object({ to: z.string() });
const v2 = z.object({ to: z.string(), locale: z.string() });
const schema = defineJobs({
  greet: {
    payload: z.object({ to: z.string(), locale: z.string(), formal: z.boolean().default(false) }),
    previous: [
      { payload: v1, upcast: (old) => ({ ...old, locale: 'en' }) },
      { payload: v2, upcast: (old) => ({ ...old, formal: old.locale === 'de' }) },
    ],
    maxSnoozes: 2,
  },
});
const current = fingerprint(schema.jobs.greet);
const stamp = (fp: string) => ({ headers: { [FINGERPRINT_HEADER]: fp } });
// Jobs are enqueued before the handlers are bound: bound, the producer side would check each
// payload against the current schema, and these stand for what other builds wrote.

export function payloadVersions(backend: Backend): void {
  const withQueue = queueRunner(backend);

  describe(`payload versions on ${backend.name}`, () => {
    test('a job of an earlier version is parsed with its schema and upcast through every later one', async () => {
      await withQueue({}, async (pgq) => {
        const seen = new Map<number, unknown>();
        const ids = [
          await pgq.enqueue('greet', { to: 'a' }, stamp(payloadFingerprint(v1))),
          await pgq.enqueue('greet', { to: 'b', locale: 'de' }, stamp(payloadFingerprint(v2))),
          await pgq.enqueue('greet', { to: 'c', locale: 'fr', formal: true }, stamp(current)),
        ];
        bindHandlers(pgq, schema, { greet: (job: Job, _ctx: JobContext) => void seen.set(job.id, job.payload) });
        void pgq.start();
        for (const id of ids) assert.equal((await pgq.waitFor(id, { timeoutMs: 10_000 })).status, 'successful');
        assert.deepEqual(ids.map((id) => seen.get(id)), [
          { to: 'a', locale: 'en', formal: false },
          { to: 'b', locale: 'de', formal: true },
          { to: 'c', locale: 'fr', formal: true },
        ]);
        assert.equal(pgq.fingerprintMismatches.get('greet'), undefined, 'known versions are not mismatches');
      });
    });

    test('a job of an unknown version runs when its payload fits the current schema', async () => {
      await withQueue({}, async (pgq) => {
        const id = await pgq.enqueue('greet', { to: 'a', locale: 'en' }, stamp('0123456789abcdef'));
        bindHandlers(pgq, schema, { greet: () => {} });
        void pgq.start();
        assert.equal((await pgq.waitFor(id, { timeoutMs: 10_000 })).status, 'successful');
        assert.equal(pgq.fingerprintMismatches.get('greet'), 1);
      });
    });

    test('a job of an unknown version that does not fit is given back, then fails saying why, counted', async () => {
      await withQueue({}, async (pgq) => {
        let ran = 0;
        const id = await pgq.enqueue('greet', { to: 'a', locale: 'en', channel: 7 as unknown as string, formal: 'yes' }, stamp('fedcba9876543210'));
        bindHandlers(pgq, schema, { greet: () => void ran++ });
        void pgq.start();
        const done = await pgq.waitFor(id, { timeoutMs: 15_000 });
        assert.equal(done.status, 'exception');
        assert.equal(ran, 0);
        const info = (await pgq.getJob(id))!;
        assert.deepEqual(info.history.map((h) => h.status), ['snoozed', 'snoozed', 'exception']);
        assert.match(info.history[0]!.error!.message, /payload version fedcba9876543210, which this worker does not know/);
        const last = info.history.at(-1)!.error!;
        assert.equal(last.name, 'UnknownSchemaVersion');
        assert.match(last.message, /given back 2 times .* \(maxSnoozes 2\)/);
        assert.match(last.message, /formal/);
        const metric = await pgq.metrics!.registry.getSingleMetric('pgqueuer_jobs_unknown_version_total')!.get();
        assert.equal(metric.values.find((v) => v.labels.entrypoint === 'greet')?.value, 3);
      });
    });

    test('a row without a fingerprint is checked against the current schema, as before', async () => {
      await withQueue({}, async (pgq) => {
        const ok = await pgq.enqueue('greet', { to: 'a', locale: 'en' });
        const bad = await pgq.enqueue('greet', { to: 'a' });
        bindHandlers(pgq, schema, { greet: () => {} });
        void pgq.start();
        assert.equal((await pgq.waitFor(ok, { timeoutMs: 10_000 })).status, 'successful');
        const failed = await pgq.waitFor(bad, { timeoutMs: 10_000 });
        assert.equal(failed.status, 'exception');
        assert.equal(failed.error?.name, 'ValidationError');
      });
    });

    test('a payload that does not fit the earlier version it claims fails, naming the field', async () => {
      await withQueue({}, async (pgq) => {
        const id = await pgq.enqueue('greet', { too: 'a' }, stamp(payloadFingerprint(v1)));
        bindHandlers(pgq, schema, { greet: () => {} });
        void pgq.start();
        const failed = await pgq.waitFor(id, { timeoutMs: 10_000 });
        assert.equal(failed.error?.name, 'ValidationError');
        assert.match(failed.error!.message, /to:/);
      });
    });
  });
}
