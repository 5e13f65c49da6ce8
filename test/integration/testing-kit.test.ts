import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, PgQueuer, StateError, ValidationError } from 'pgqueuer';
import { drain, enqueuedJobs, runJob, TestClock } from 'pgqueuer/testing';
import schema from '../../examples/shop/src/jobs.schema.js';
import { createClient, registerHandlers, type Handlers } from '../../examples/shop/src/pgq.generated.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { openQueue } from '../support/queue.js';

const quiet: Handlers = {
  sendEmail: async (job) => ({ messageId: `m-${job.id}` }),
  resizeImage: async (job) => ({ variants: job.payload.widths.map(String) }),
  recordOrder: async () => {},
  salesReport: async () => {},
};

describe('TestClock with PgQueuer.inMemory()', () => {
  test('a deferred job runs only when the test moves time past it', async () => {
    const clock = new TestClock('2026-03-01T12:00:00Z');
    const pgq = PgQueuer.inMemory({ clock });
    const ran: Date[] = [];
    pgq.entrypoint('remind', async () => {
      ran.push(clock.now());
    });
    try {
      await pgq.enqueue('remind', {}, { executeAfter: 3_600_000 });
      await drain(pgq);
      assert.equal(ran.length, 0, 'not due yet');
      clock.advance(3_599_999);
      await drain(pgq);
      assert.equal(ran.length, 0);
      clock.advance(1);
      await drain(pgq);
      assert.deepEqual(ran.map((d) => d.toISOString()), ['2026-03-01T13:00:00.000Z']);
    } finally {
      await pgq.stop();
    }
  });

  test('a daily schedule ticks when the clock reaches it, once per day, in its timezone', async () => {
    const clock = new TestClock('2026-03-07T07:59:59Z'); // 02:59:59 in New York (EST)
    const pgq = PgQueuer.inMemory({ clock });
    const ticks: string[] = [];
    pgq.schedule('report', '0 3 * * *', async (tick) => void ticks.push(tick.scheduledAt.toISOString()), { timezone: 'America/New_York' });
    try {
      await drain(pgq);
      assert.deepEqual(ticks, []);
      clock.advance(1_000);
      await drain(pgq);
      assert.deepEqual(ticks, ['2026-03-07T08:00:00.000Z']);
      clock.set('2026-03-08T06:59:00Z'); // before 03:00 EDT on the day clocks go forward
      await drain(pgq);
      assert.equal(ticks.length, 1);
      clock.set('2026-03-08T07:00:00Z');
      await drain(pgq);
      assert.deepEqual(ticks, ['2026-03-07T08:00:00.000Z', '2026-03-08T07:00:00.000Z']);
    } finally {
      await pgq.stop();
    }
  });

  test('fake time does not leak: Date is untouched and each instance has its own clock', async () => {
    const far = new TestClock('2099-01-01T00:00:00Z');
    const near = new TestClock('2026-01-01T00:00:00Z');
    const a = PgQueuer.inMemory({ clock: far });
    const b = PgQueuer.inMemory({ clock: near });
    try {
      far.advance(365 * 24 * 3_600_000);
      assert.ok(Math.abs(Date.now() - new Date().getTime()) < 1_000 && new Date().getFullYear() < 2090);
      await a.enqueue('x', {}, { executeAfter: 1_000 });
      await b.enqueue('x', {}, { executeAfter: 1_000 });
      assert.equal((await a.listJobs('x'))[0]!.executeAfter.toISOString(), '2100-01-01T00:00:01.000Z');
      assert.equal((await b.listJobs('x'))[0]!.executeAfter.toISOString(), '2026-01-01T00:00:01.000Z');
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test('TestClock only moves forward', () => {
    const clock = new TestClock();
    assert.throws(() => clock.advance(-1), RangeError);
    assert.throws(() => clock.set('2020-01-01'), /only moves forward/);
  });
});

describe('what stays different in memory', () => {
  test('enqueue inside a pg transaction is refused with a clear error', async () => {
    const pgq = PgQueuer.inMemory();
    try {
      const client = { query: async () => ({ rows: [] }) };
      await assert.rejects(pgq.enqueue('x', {}, { client }), (err: unknown) => err instanceof ConfigError && /cannot enqueue inside a pg transaction/.test(err.message));
      await assert.rejects(createClient(pgq).enqueue.recordOrder({ orderId: 1, totalCents: 1 }, { client }), ConfigError);
    } finally {
      await pgq.stop();
    }
  });
});

describe('drain and enqueuedJobs', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(() => db.drop());

  for (const backend of ['memory', 'postgres'] as const) {
    test(`on ${backend}: enqueuedJobs lists what was enqueued (typed by the client), drain runs it`, async () => {
      const pgq = backend === 'memory' ? PgQueuer.inMemory() : await openQueue(db.url, { schema: 'kit' });
      try {
        registerHandlers(pgq, quiet);
        const { enqueue } = createClient(pgq);
        await enqueue.sendEmail({ to: 'a@b.co', subject: 'hi', body: 'x' }, { priority: 3 });
        const jobs = await enqueuedJobs(pgq, enqueue.sendEmail);
        assert.deepEqual(jobs.map((j) => [j.payload.to, j.priority, j.status]), [['a@b.co', 3, 'queued']]);
        await drain(pgq);
        assert.deepEqual(await enqueuedJobs(pgq, 'sendEmail'), []);
      } finally {
        await pgq.stop();
      }
    });
  }

  test('drain reports a worker that cannot run', async () => {
    const pgq = PgQueuer.inMemory();
    await assert.rejects(drain(pgq), /no entrypoints registered/);
    await pgq.stop();
    const stopped = PgQueuer.inMemory();
    stopped.entrypoint('x', async () => {});
    await stopped.stop();
    await assert.rejects(drain(stopped), StateError);
  });
});

describe('runJob', () => {
  test('runs a handler once with the production round trip: defaults applied, result checked', async () => {
    const result = await runJob(schema, 'sendEmail', async (job) => ({ messageId: `tags:${job.payload.tags.length}` }), {
      to: 'a@b.co',
      subject: 's',
      body: 'b',
    });
    assert.deepEqual(result, { messageId: 'tags:0' });
  });

  test('a bad payload or a bad result throws the ValidationError production would', async () => {
    await assert.rejects(
      runJob(schema, 'resizeImage', quiet.resizeImage, { key: 'k', widths: [] }),
      (err: unknown) => err instanceof ValidationError && err.what === 'payload' && err.issues[0]!.path === 'widths',
    );
    await assert.rejects(
      runJob(schema, 'resizeImage', async () => ({ variants: [1] }) as never, { key: 'k', widths: [1] }),
      (err: unknown) => err instanceof ValidationError && err.what === 'result',
    );
  });

  test('passes the attempt and an abortable signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('canceled by the test'));
    await assert.rejects(
      runJob(schema, 'recordOrder', async (job, ctx) => {
        assert.equal(job.attempt, 2);
        ctx.signal.throwIfAborted();
      }, { orderId: 1, totalCents: 1 }, { attempt: 2, signal: controller.signal }),
      /canceled by the test/,
    );
  });
});
