import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { bindClient, bindHandlers, ConfigError, defineJobs, PermanentJobError, PgQueuer, ValidationError } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { openQueue, startWorker } from '../support/queue.js';
import { countdown, deferred, until, within } from '../support/wait.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.drop();
});

/** The samples of a Prometheus text exposition, keyed by name and sorted labels. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels = (m[2] ?? '')
      .split(/,(?=[a-zA-Z_]\w*=")/)
      .filter(Boolean)
      .sort()
      .join(',');
    samples.set(labels ? `${m[1]}{${labels}}` : m[1]!, Number(m[3]));
  }
  return samples;
}

async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

const jobs = defineJobs({ m_typed: { payload: z.object({ n: z.number() }) } });

describe('metrics after known work', () => {
  test('counters, histograms and gauges match what happened, scraped over HTTP', async () => {
    const pgq = await openQueue(db.url, { concurrency: 4 });
    const plain = await openQueue(db.url, { metrics: false });
    const server = await pgq.metricsServer({ port: 0 });
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/, 'bound to localhost by default');

    const release = deferred();
    const blocking = deferred();
    let retryAttempts = 0;
    const finished = countdown(5 + 2 + 1 + 1 + 1 + 3 + 1);
    pgq.entrypoint('m_ok', async () => finished.tick());
    pgq.entrypoint('m_fail', async () => {
      finished.tick();
      throw new PermanentJobError('no');
    });
    pgq.entrypoint('m_retry', { retry: { maxAttempts: 2, initialDelayMs: 0 } }, async () => {
      if (++retryAttempts === 1) throw new Error('first attempt fails');
      finished.tick();
    });
    pgq.entrypoint('m_block', async () => {
      blocking.resolve();
      await release.promise;
      finished.tick();
    });
    pgq.entrypoint('m_rescue', { rescueAfterMs: 1_000 }, async () => finished.tick());
    pgq.entrypoint('m_rate', { rateLimit: { perSecond: 5, burst: 1 } }, async () => finished.tick());
    bindHandlers(pgq, jobs, { m_typed: async () => finished.tick() });
    const typedClient = bindClient(pgq, jobs);

    // A job of a crashed worker: picked long ago by a worker that is gone.
    await db.pool.query(
      `INSERT INTO pgqueuer.jobs (entrypoint, status, attempts, worker_id, heartbeat, picked_at, execute_after)
       VALUES ('m_rescue', 'picked', 1, gen_random_uuid(), now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour')`,
    );
    const stop = startWorker(pgq);
    await pgq.enqueueMany([
      ...Array.from({ length: 5 }, () => ({ entrypoint: 'm_ok', payload: {} })),
      ...Array.from({ length: 2 }, () => ({ entrypoint: 'm_fail', payload: {} })),
      { entrypoint: 'm_retry', payload: {} },
      ...Array.from({ length: 3 }, () => ({ entrypoint: 'm_rate', payload: {} })),
    ]);
    await pgq.enqueue('m_block', {});
    const [later] = await pgq.enqueueMany([
      { entrypoint: 'm_later', payload: {}, executeAfter: 3_600_000 },
      { entrypoint: 'm_later', payload: {}, executeAfter: 3_600_000 },
    ]);
    assert.deepEqual(await pgq.cancel([later!]), [later]);
    await assert.rejects(typedClient.enqueue.m_typed!({ n: 'one' as never }), ValidationError);
    // Stored without the schema's check (another producer): the worker's check rejects it.
    await plain.enqueue('m_typed', { n: 'two' });
    await typedClient.enqueue.m_typed!({ n: 3 });

    await within(blocking.promise, 10_000, 'the blocking job');
    const during = await scrape(server.url);
    assert.equal(during.get('pgqueuer_jobs_in_flight{entrypoint="m_block"}'), 1);
    assert.equal(during.get('pgqueuer_queue_depth{entrypoint="m_later",status="scheduled"}'), 1);
    assert.equal(during.get('pgqueuer_queue_depth{entrypoint="m_block",status="picked"}'), 1);
    release.resolve();
    await within(finished.done, 20_000, 'every job');

    const expected: Record<string, number> = {
      'pgqueuer_jobs_enqueued_total{entrypoint="m_ok"}': 5,
      'pgqueuer_jobs_enqueued_total{entrypoint="m_later"}': 2,
      'pgqueuer_jobs_enqueued_total{entrypoint="m_typed"}': 1, // the other one was stored by `plain`
      'pgqueuer_jobs_started_total{entrypoint="m_ok"}': 5,
      'pgqueuer_jobs_started_total{entrypoint="m_retry"}': 2,
      'pgqueuer_jobs_completed_total{entrypoint="m_ok"}': 5,
      'pgqueuer_jobs_completed_total{entrypoint="m_retry"}': 1,
      'pgqueuer_jobs_completed_total{entrypoint="m_block"}': 1,
      'pgqueuer_jobs_completed_total{entrypoint="m_rescue"}': 1,
      'pgqueuer_jobs_completed_total{entrypoint="m_rate"}': 3,
      'pgqueuer_jobs_completed_total{entrypoint="m_typed"}': 1,
      'pgqueuer_jobs_failed_total{entrypoint="m_fail"}': 2,
      'pgqueuer_jobs_failed_total{entrypoint="m_typed"}': 1,
      'pgqueuer_jobs_retried_total{entrypoint="m_retry"}': 1,
      'pgqueuer_jobs_rescued_total{entrypoint="m_rescue"}': 1,
      'pgqueuer_jobs_canceled_total{entrypoint="m_later"}': 1,
      'pgqueuer_validation_failures_total{entrypoint="m_typed",what="payload",where="enqueue"}': 1,
      'pgqueuer_validation_failures_total{entrypoint="m_typed",what="payload",where="worker"}': 1,
      'pgqueuer_job_duration_seconds_count{entrypoint="m_ok",outcome="successful"}': 5,
      'pgqueuer_job_duration_seconds_count{entrypoint="m_retry",outcome="retried"}': 1,
      'pgqueuer_job_duration_seconds_count{entrypoint="m_fail",outcome="exception"}': 2,
      'pgqueuer_job_queue_wait_seconds_count{entrypoint="m_ok"}': 5,
      'pgqueuer_jobs_in_flight{entrypoint="m_block"}': 0,
      'pgqueuer_queue_depth{entrypoint="m_later",status="scheduled"}': 1,
    };
    // Outcomes are counted once written, a moment after the handlers return.
    const samples = await until(async () => {
      const s = await scrape(server.url);
      return Object.entries(expected).every(([k, v]) => s.get(k) === v) ? s : undefined;
    }, 5_000, 'the expected metrics').catch(async (err) => {
      const s = await scrape(server.url);
      assert.deepEqual(Object.fromEntries(Object.keys(expected).map((k) => [k, s.get(k)])), expected);
      throw err;
    });
    // Three jobs at 5/s with a burst of 1: claims found the bucket empty at least once.
    assert.ok((samples.get('pgqueuer_rate_limit_waits_total{entrypoint="m_rate"}') ?? 0) >= 1);
    assert.equal(samples.get('pgqueuer_rate_limit_waits_total{entrypoint="m_ok"}'), undefined);
    // The rescued job had waited an hour; its wait is observed from its return to the queue.
    assert.equal(samples.get('pgqueuer_job_queue_wait_seconds_bucket{entrypoint="m_rescue",le="60"}'), 1);
    assert.ok((samples.get('pgqueuer_job_duration_seconds_sum{entrypoint="m_block",outcome="successful"}') ?? 0) > 0);

    assert.equal((await fetch(server.url.replace('/metrics', '/other'))).status, 404);
    await stop();
    await plain.stop();
    await assert.rejects(fetch(server.url), 'stop() closed the metrics server');
  });
});

describe('registries and options', () => {
  test('two instances can share your registry: one set of metrics, counted by both', async () => {
    const registry = new Registry();
    const a = await openQueue(db.url, { metrics: { registry } });
    const b = await openQueue(db.url, { metrics: { registry } });
    await a.enqueue('shared_registry', {});
    await b.enqueue('shared_registry', {});
    const samples = parse(await registry.metrics());
    assert.equal(samples.get('pgqueuer_jobs_enqueued_total{entrypoint="shared_registry"}'), 2);
    assert.equal(samples.get('pgqueuer_queue_depth{entrypoint="shared_registry",status="queued"}'), 2);
    await a.stop();
    // The depth is still read through the instance that is open.
    assert.equal(parse(await registry.metrics()).get('pgqueuer_queue_depth{entrypoint="shared_registry",status="queued"}'), 2);
    await b.stop();
  });

  test('a scrape while the database is away still serves the counters', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const pgq = await PgQueuer.fromPool(pool);
    await pgq.enqueue('away', {});
    // The instance is still open, but its connections are gone: reading the depth fails.
    await pool.end();
    const samples = parse(await pgq.metrics!.registry.metrics());
    assert.equal(samples.get('pgqueuer_jobs_enqueued_total{entrypoint="away"}'), 1);
    assert.equal(samples.get('pgqueuer_queue_depth{entrypoint="away",status="queued"}'), undefined);
    await pgq.stop();
  });

  test('bad options and a busy port are clear errors; metrics: false has no server', async () => {
    await assert.rejects(openQueue(db.url, { metrics: { registy: 1 } as never }), (err: unknown) => err instanceof ConfigError && /unknown option "registy"/.test(err.message));
    await assert.rejects(openQueue(db.url, { metrics: { registry: {} } as never }), (err: unknown) => err instanceof ConfigError && /prom-client Registry/.test(err.message));
    const off = await openQueue(db.url, { metrics: false });
    assert.equal(off.metrics, undefined);
    await assert.rejects(off.metricsServer({ port: 0 }), (err: unknown) => err instanceof ConfigError && /turned off/.test(err.message));
    await off.stop();
    const pgq = await openQueue(db.url);
    const first = await pgq.metricsServer({ port: 0 });
    await assert.rejects(pgq.metricsServer({ port: first.port }), (err: unknown) => err instanceof ConfigError && /already in use/.test(err.message));
    await assert.rejects(pgq.metricsServer({ port: -1 }), ConfigError);
    await first.close();
    await pgq.stop();
  });
});
