/**
 * Types enforced at run time at both ends, through the example app's generated client
 * (examples/shop/src/pgq.generated.ts, kept current by `npm run generate:check`).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ConfigError,
  FINGERPRINT_HEADER,
  JobCanceledError,
  JobFailedError,
  PgQueuer,
  UnknownJobError,
  ValidationError,
  type Logger,
} from '../../src/index.js';
import { createClient, registerHandlers, type Handlers } from '../../examples/shop/src/pgq.generated.js';
import { openQueue, startWorker } from '../support/queue.js';
import { countdown, deferred, until, within } from '../support/wait.js';
import { db, producer, useFileDatabase } from '../support/file-database.js';

useFileDatabase();

async function count(where: string, params: unknown[] = []): Promise<number> {
  return (await db.pool.query(`SELECT count(*)::int AS n FROM pgqueuer.jobs WHERE ${where}`, params)).rows[0].n;
}

let schemas = 0;
/** A producer and a worker on a schema of their own, so no test sees another's jobs. */
async function isolated(options: Parameters<typeof openQueue>[1] = {}): Promise<{ producer: PgQueuer; worker: PgQueuer; schema: string }> {
  const schema = `typed_${++schemas}`;
  return {
    producer: await openQueue(db.url, { schema }),
    worker: await openQueue(db.url, { schema, ...options }),
    schema,
  };
}

/** Handlers for every job of the example schema; each test overrides what it needs. */
function handlers(overrides: Partial<Handlers> = {}): Handlers {
  return {
    sendEmail: async (job) => ({ messageId: `m-${job.id}` }),
    resizeImage: async (job) => ({ variants: job.payload.widths.map((w) => `${job.payload.key}@${w}`) }),
    recordOrder: async () => {},
    salesReport: async () => {},
    ...overrides,
  };
}

describe('producer side', () => {
  test('a bad payload throws ValidationError listing issues by path, and nothing is written', async () => {
    const { enqueue } = createClient(producer);
    const before = await count('true');
    await assert.rejects(
      // @ts-expect-error -- wrong on purpose: the run-time check must catch what the types would
      enqueue.sendEmail({ to: 'nope', subject: 42, body: 'b', tags: ['ok', 7] }),
      (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.equal(err.job, 'sendEmail');
        assert.equal(err.what, 'payload');
        assert.deepEqual(err.issues.map((i) => i.path), ['to', 'subject', 'tags[1]']);
        assert.match(err.message, /^invalid payload for "sendEmail": to: Invalid email address; subject: .*; tags\[1\]: /);
        return true;
      },
    );
    assert.equal(await count('true'), before);
  });

  test('many() is all or nothing, and names the item', async () => {
    const { enqueue } = createClient(producer);
    const before = await count('true');
    await assert.rejects(
      enqueue.resizeImage.many([{ payload: { key: 'a', widths: [1] } }, { payload: { key: 'b', widths: [] } }]),
      (err: unknown) => err instanceof ValidationError && err.issues[0]!.path === 'jobs[1].widths',
    );
    assert.equal(await count('true'), before);
  });

  test('a payload that does not survive JSON is refused at enqueue, not discovered by the worker', async () => {
    const { enqueue } = createClient(producer);
    // An ISO date string is what JSON makes of a Date, and it is a valid string: fine.
    await enqueue.sendEmail({ to: 'a@b.co', subject: String(new Date(0).toISOString()), body: '' });
    // undefined inside an array becomes null in JSON, which the schema refuses.
    await assert.rejects(
      enqueue.sendEmail({ to: 'a@b.co', subject: 's', body: '', tags: ['x', undefined as unknown as string] }),
      (err: unknown) => err instanceof ValidationError && err.issues[0]!.path === 'tags[1]',
    );
  });

  test('after createClient, plain pgq.enqueue to a schema job is validated too', async () => {
    const pgq = await openQueue(db.url);
    try {
      createClient(pgq);
      await assert.rejects(pgq.enqueue('sendEmail', { to: 'x' }), ValidationError);
      await pgq.enqueue('notInTheSchema', { anything: true });
    } finally {
      await pgq.stop();
    }
  });

  test('jobs carry the schema fingerprint and the schema default priority', async () => {
    const { enqueue } = createClient(producer);
    const handle = await enqueue.resizeImage({ key: 'k', widths: [10] });
    const { rows } = await db.pool.query('SELECT headers, priority FROM pgqueuer.jobs WHERE id = $1', [handle.id]);
    assert.match(rows[0].headers[FINGERPRINT_HEADER], /^[0-9a-f]{16}$/);
    assert.equal(rows[0].priority, 5);
  });

  test('from JavaScript, an unknown job or a scheduled job on enqueue is a clear error', () => {
    const { enqueue } = createClient(producer) as unknown as { enqueue: Record<string, unknown> };
    assert.throws(() => enqueue.sendEmial, (err: unknown) => err instanceof UnknownJobError && /no job "sendEmial"/.test(err.message));
    assert.throws(() => enqueue.salesReport, /"salesReport" is a scheduled job; it runs on its schedule/);
  });
});

describe('worker side', () => {
  test('the handler sees the parsed payload (defaults applied), and its typed result comes back through job.result()', async () => {
    const { producer, worker, schema } = await isolated();
    const seen = deferred<unknown>();
    registerHandlers(worker, handlers({ sendEmail: async (job) => {
      seen.resolve(job.payload);
      return { messageId: `id-${job.payload.tags.length}` };
    } }));
    const stop = startWorker(worker);
    try {
      const { enqueue } = createClient(producer);
      const handle = await enqueue.sendEmail({ to: 'a@b.co', subject: 's', body: 'b' });
      const result = await handle.result({ timeoutMs: 10_000 });
      assert.deepEqual(result, { messageId: 'id-0' });
      assert.deepEqual(await seen.promise, { to: 'a@b.co', subject: 's', body: 'b', tags: [] });
    } finally {
      await stop();
      await producer.stop();
    }
  });

  test('a stored row that does not fit fails alone, permanently, with the issues in its log; the batch goes on', async () => {
    const { producer, worker, schema } = await isolated();
    const good = countdown(3);
    // sendEmail retries 3 times per the schema; a validation failure must not.
    registerHandlers(worker, handlers({ sendEmail: async (job) => {
      good.tick();
      return { messageId: String(job.id) };
    } }));
    // Written by hand (an older producer, a migration script): the middle one is broken.
    const { rows } = await db.pool.query(`
      INSERT INTO ${schema}.jobs (entrypoint, payload) VALUES
        ('sendEmail', '{"to":"a@b.co","subject":"1","body":""}'),
        ('sendEmail', '{"to":"not an email","body":7}'),
        ('sendEmail', '{"to":"c@d.co","subject":"3","body":""}'),
        ('sendEmail', '{"to":"e@f.co","subject":"4","body":""}')
      RETURNING id`);
    const broken = Number(rows[1].id);
    const stop = startWorker(worker);
    try {
      await within(good.done, 10_000, 'the three good jobs');
      assert.equal((await producer.waitFor(broken, { timeoutMs: 10_000 })).status, 'exception');
    } finally {
      await stop();
      await producer.stop();
    }
    const log = await db.pool.query(`SELECT status, attempt, error FROM ${schema}.job_log WHERE job_id = $1`, [broken]);
    assert.equal(log.rows.length, 1, 'not retried');
    const [entry] = log.rows;
    assert.deepEqual([entry.status, entry.attempt, entry.error.name], ['exception', 1, 'ValidationError']);
    assert.match(entry.error.message, new RegExp(`^invalid payload for job ${broken} "sendEmail": to: Invalid email address; subject: .*; body: `));
    assert.deepEqual(entry.error.details.issues.map((i: { path: string }) => i.path), ['to', 'subject', 'body']);
  });

  test('a handler result that does not match the result schema fails the job clearly', async () => {
    const { producer, worker, schema } = await isolated();
    registerHandlers(worker, handlers({ resizeImage: async () => ({ variants: 'not-a-list' }) as never }));
    const stop = startWorker(worker);
    try {
      const handle = await createClient(producer).enqueue.resizeImage({ key: 'k', widths: [1] });
      await assert.rejects(handle.result({ timeoutMs: 10_000 }), (err: unknown) => {
        assert.ok(err instanceof JobFailedError);
        assert.equal(err.error.name, 'ValidationError');
        assert.match(err.error.message, /invalid result for job \d+ "resizeImage": variants: /);
        return true;
      });
    } finally {
      await stop();
      await producer.stop();
    }
  });

  test('job.result() rejects with JobCanceledError for a canceled job', async () => {
    const handle = await createClient(producer).enqueue.recordOrder({ orderId: 1, totalCents: 1 }, { executeAfter: 60_000 });
    await producer.cancel([handle.id]);
    await assert.rejects(handle.result({ timeoutMs: 5_000 }), JobCanceledError);
  });

  test('a job enqueued with another schema version is noticed: logged once and counted', async () => {
    const warnings: Array<{ obj: object; msg?: string }> = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (obj, msg) => warnings.push({ obj, msg }) };
    const { producer, worker } = await isolated({ logger });
    const done = countdown(2);
    registerHandlers(worker, handlers({ recordOrder: async () => done.tick() }));
    await producer.enqueueMany([1, 2].map((n) => ({ entrypoint: 'recordOrder', payload: { orderId: n, totalCents: 1 }, headers: { [FINGERPRINT_HEADER]: 'from-an-old-build' } })));
    const stop = startWorker(worker);
    try {
      await within(done.done, 10_000, 'the jobs');
    } finally {
      await stop();
      await producer.stop();
    }
    const mismatches = warnings.filter((w) => /different schema/.test(w.msg ?? ''));
    assert.equal(mismatches.length, 1, 'logged once per producer fingerprint');
    assert.equal((mismatches[0]!.obj as { producerFingerprint: string }).producerFingerprint, 'from-an-old-build');
    assert.equal(worker.fingerprintMismatches.get('recordOrder'), 2);
  });

  test('from JavaScript, a missing or unknown handler is a clear error', async () => {
    const pgq = await openQueue(db.url);
    try {
      const { salesReport: _omitted, ...missing } = handlers();
      assert.throws(() => registerHandlers(pgq, missing as Handlers), (err: unknown) => err instanceof ConfigError && /no handler for job "salesReport"/.test(err.message));
      assert.throws(() => registerHandlers(pgq, { ...handlers(), sendEmial: async () => {} } as Handlers), /"sendEmial" is not a job in the schema/);
    } finally {
      await pgq.stop();
    }
  });
});
