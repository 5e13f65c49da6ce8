import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PgQueuer, PreparedStatementsUnsupportedError, type Logger, type PgQueuerOptions } from '../../src/index.js';
import { install } from '../../src/admin.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { pgbouncerBinary, startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';
import { pgqMain, runPgq, type CliResult } from '../support/pgq-cli.js';
import { startWorker } from '../support/queue.js';
import { countdown, deferred, until, within } from '../support/wait.js';

/**
 * Everything a user does, through a PgBouncer of this file's own with pool_mode=transaction
 * and a small pool: each transaction may run on another server connection, so no session
 * state (a prepared statement, a LISTEN) survives from one statement to the next.
 */
const skip = pgbouncerBinary() ? false : 'no pgbouncer binary (apt-get install pgbouncer; .ci/run installs it)';

let db: TestDatabase;
let bouncer: PgBouncer;
/** The test database through PgBouncer. */
let pooled: string;

/** What the README tells users behind PgBouncer to set. */
const behindPgBouncer = (options: PgQueuerOptions = {}): PgQueuerOptions => ({
  preparedStatements: false,
  listenConnection: db.url,
  heartbeatIntervalMs: 200,
  shutdownTimeoutMs: 5_000,
  ...options,
});

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => {}, info: () => {}, warn: (_obj, msg) => void warnings.push(String(msg)), error: () => {} };
}

describe('through PgBouncer (pool_mode=transaction)', { skip }, () => {
  before(async () => {
    db = await createTestDatabase();
    bouncer = await startPgBouncer(db.url, { poolSize: 5 });
    pooled = bouncer.url(db.url);
    await install(pooled); // migrations take transaction-scoped locks only, so this works too
  });
  after(async () => {
    await bouncer?.stop();
    await db?.drop();
  });

  test('two workers and three producers: every job runs exactly once', async () => {
    const total = 300;
    const runs = new Map<number, number>();
    const done = countdown(total);
    const workers = await Promise.all([0, 1].map(() => PgQueuer.connect(pooled, behindPgBouncer({ concurrency: 8 }))));
    for (const worker of workers) {
      worker.entrypoint('exactly_once', async (job) => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        done.tick();
      });
    }
    const stops = workers.map(startWorker);
    const producers = await Promise.all([0, 1, 2].map(() => PgQueuer.connect(pooled, behindPgBouncer())));
    try {
      const ids = (
        await Promise.all(
          producers.map(async (producer, p) => {
            const one = await Promise.all(Array.from({ length: 50 }, (_, i) => producer.enqueue('exactly_once', { p, i })));
            const many = await producer.enqueueMany(Array.from({ length: 50 }, (_, i) => ({ entrypoint: 'exactly_once', payload: { p, i: 50 + i } })));
            return [...one, ...many];
          }),
        )
      ).flat();
      assert.equal(new Set(ids).size, total);
      await within(done.done, 60_000, `${total} jobs`);
      assert.deepEqual([...runs.values()].filter((n) => n !== 1), [], 'no job ran twice');
      assert.deepEqual(ids.filter((id) => !runs.has(id)), [], 'every job ran');
      await until(
        async () => (await db.pool.query(`SELECT count(*)::int AS n FROM pgqueuer.job_log WHERE entrypoint = 'exactly_once' AND status = 'successful'`)).rows[0].n === total,
        10_000,
        'every outcome written',
      );
    } finally {
      await Promise.all(stops.map((stop) => stop()));
      await Promise.all(producers.map((p) => p.stop()));
    }
  });

  test('with listenConnection, an enqueue wakes a worker at once: far sooner than its 10 s poll', async () => {
    const worker = await PgQueuer.connect(pooled, behindPgBouncer({ pollIntervalMs: 10_000 }));
    let started = deferred<number>();
    worker.entrypoint('woken', async () => started.resolve(Date.now()));
    const stop = startWorker(worker);
    const producer = await PgQueuer.connect(pooled, behindPgBouncer());
    try {
      await until(() => worker.health().ready, 10_000, 'the worker to be ready');
      for (let i = 0; i < 3; i++) {
        started = deferred<number>();
        const enqueuedAt = Date.now();
        await producer.enqueue('woken', { i });
        const at = await within(started.promise, 5_000, `job ${i} to start (woken by NOTIFY, not the 10 s poll)`);
        assert.ok(at - enqueuedAt < 2_000, `enqueue to start took ${at - enqueuedAt} ms`);
      }
    } finally {
      await stop();
      await producer.stop();
    }
  });

  test('waitFor, woken through listenConnection, resolves with the result', async () => {
    const worker = await PgQueuer.connect(pooled, behindPgBouncer({ pollIntervalMs: 10_000 }));
    worker.entrypoint('awaited', async (job) => ({ doubled: (job.payload as { n: number }).n * 2 }));
    const stop = startWorker(worker);
    const producer = await PgQueuer.connect(pooled, behindPgBouncer({ pollIntervalMs: 10_000 }));
    try {
      await until(() => worker.health().ready, 10_000, 'the worker to be ready');
      const ids = await Promise.all([1, 2, 3].map((n) => producer.enqueue('awaited', { n })));
      const t0 = Date.now();
      const completions = await producer.waitForAll(ids, { timeoutMs: 5_000 });
      assert.ok(Date.now() - t0 < 3_000, `waitForAll took ${Date.now() - t0} ms with a 10 s poll`);
      assert.deepEqual(completions.map((c) => [c.status, c.result]), [1, 2, 3].map((n) => ['successful', { doubled: n * 2 }]));
    } finally {
      await stop();
      await producer.stop();
    }
  });

  test('a per-second schedule fires each tick once across two workers', async () => {
    const ticks: number[] = [];
    const three = countdown(3);
    const workers = await Promise.all([0, 1].map(() => PgQueuer.connect(pooled, behindPgBouncer())));
    for (const worker of workers) {
      worker.schedule('bouncer_tick', '* * * * * *', async ({ scheduledAt }) => {
        ticks.push(scheduledAt.getTime());
        three.tick();
      });
    }
    const stops = workers.map(startWorker);
    try {
      await within(three.done, 15_000, 'three ticks');
    } finally {
      await Promise.all(stops.map((stop) => stop()));
    }
    assert.equal(new Set(ticks).size, ticks.length, `a tick fired twice: ${ticks.map((t) => new Date(t).toISOString()).join(', ')}`);
    const producer = await PgQueuer.connect(pooled, behindPgBouncer());
    try {
      const [schedule] = (await producer.listSchedules()).filter((s) => s.name === 'bouncer_tick');
      assert.equal(schedule?.expression, '* * * * * *');
    } finally {
      await producer.stop();
    }
  });

  test('without listenConnection: one warning saying what to set, and jobs still start quickly (fast polling)', async () => {
    const logger = recordingLogger();
    const worker = await PgQueuer.connect(pooled, behindPgBouncer({ listenConnection: undefined, pollIntervalMs: 10_000, logger }));
    let started = deferred();
    worker.entrypoint('deaf', async () => started.resolve());
    const stop = startWorker(worker);
    const producer = await PgQueuer.connect(pooled, behindPgBouncer());
    try {
      await until(() => logger.warnings.some((w) => /notifications do not arrive/.test(w)), 15_000, 'the warning');
      for (let i = 0; i < 3; i++) {
        started = deferred();
        const t0 = Date.now();
        await producer.enqueue('deaf', { i });
        await within(started.promise, 5_000, `job ${i} found by the fast poll`);
        assert.ok(Date.now() - t0 < 2_000, `a job waited ${Date.now() - t0} ms (the poll interval is 10 s)`);
      }
    } finally {
      await stop();
      await producer.stop();
    }
    const warned = logger.warnings.filter((w) => /notifications do not arrive/.test(w));
    assert.equal(warned.length, 1, warned.join('\n'));
    assert.match(warned[0]!, /set listenConnection \(or PGQ_LISTEN_URL, pgq --listen-url\)/);
  });

  test('waitFor without listenConnection: one warning, then waits are answered by a fast poll', async () => {
    const logger = recordingLogger();
    const worker = await PgQueuer.connect(pooled, behindPgBouncer());
    worker.entrypoint('waited_deaf', async () => ({ ok: true }));
    const stop = startWorker(worker);
    const producer = await PgQueuer.connect(pooled, behindPgBouncer({ listenConnection: undefined, pollIntervalMs: 10_000, logger }));
    try {
      // The first wait starts the watcher (its lookup on arrival may answer it at once); its
      // probe then times out (3 s), long before the 10 s poll.
      const first = await producer.enqueue('waited_deaf', {});
      assert.equal((await producer.waitFor(first, { timeoutMs: 9_000 })).status, 'successful');
      await until(() => logger.warnings.some((w) => /notifications do not arrive.*waitFor/.test(w)), 10_000, "the completion watcher's warning");
      for (let i = 0; i < 3; i++) {
        const id = await producer.enqueue('waited_deaf', { i });
        const t0 = Date.now();
        assert.equal((await producer.waitFor(id, { timeoutMs: 5_000 })).status, 'successful');
        assert.ok(Date.now() - t0 < 1_500, `waitFor took ${Date.now() - t0} ms`);
      }
    } finally {
      await stop();
      await producer.stop();
    }
    const warned = logger.warnings.filter((w) => /notifications do not arrive/.test(w));
    assert.equal(warned.length, 1, warned.join('\n'));
    assert.match(warned[0]!, /set listenConnection \(or PGQ_LISTEN_URL, pgq --listen-url\)/);
  });

  test('with preparedStatements: true, pgqueuer says to turn them off, and a refused enqueue wrote nothing', async () => {
    let refused: PreparedStatementsUnsupportedError | undefined;
    let accepted = 0;
    // The pooler hands a connection another one's server session sooner or later: which
    // enqueue is refused depends on its assignments, so try until one is.
    for (let round = 0; round < 10 && !refused; round++) {
      const pgq = await PgQueuer.connect(pooled, { preparedStatements: true, listenConnection: db.url });
      try {
        const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => pgq.enqueue('prepared_refused', { round, i })));
        for (const r of results) {
          if (r.status === 'fulfilled') accepted++;
          else {
            assert.ok(r.reason instanceof PreparedStatementsUnsupportedError, `not the typed error: ${String(r.reason)}`);
            refused = r.reason;
          }
        }
      } finally {
        await pgq.stop();
      }
    }
    assert.ok(refused, 'no enqueue was refused in 10 rounds');
    assert.match(refused.message, /PgBouncer with pool_mode=transaction/);
    assert.match(refused.message, /preparedStatements: false \(pgq --no-prepared-statements, or PGQ_PREPARED_STATEMENTS=false\)/);
    assert.match(refused.message, /nothing was written/);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM pgqueuer.jobs WHERE entrypoint = 'prepared_refused'`);
    assert.equal(rows[0].n, accepted, 'exactly the accepted enqueues were written');
  });

  test('a worker with preparedStatements: true fails run() with the typed error, not a raw 42P05', async () => {
    let failed: unknown;
    // Its start prepares several statements; sooner or later one lands on a server session that
    // an earlier worker prepared it on.
    for (let round = 0; round < 10 && failed === undefined; round++) {
      const worker = await PgQueuer.connect(pooled, { preparedStatements: true, listenConnection: db.url, heartbeatIntervalMs: 200 });
      worker.entrypoint('prepared_worker', async () => {});
      const running = worker.run({ handleSignals: false });
      const outcome = await Promise.race([running.then(() => 'stopped', (err: unknown) => err), until(() => worker.health().ready, 10_000, 'ready').then(() => 'ready')]);
      if (outcome !== 'ready' && outcome !== 'stopped') failed = outcome;
      await worker.stop();
      await running.catch(() => {});
    }
    assert.ok(failed instanceof PreparedStatementsUnsupportedError, `run() rejected with ${String(failed)}`);
    assert.match(failed.message, /--no-prepared-statements/);
  });

  test('every CLI command, run twice: with --no-prepared-statements and with PGQ_PREPARED_STATEMENTS=false', async () => {
    const producer = await PgQueuer.connect(pooled, behindPgBouncer());
    const ids = await producer.enqueueMany(Array.from({ length: 12 }, (_, i) => ({ entrypoint: 'cli_job', payload: { i } })));
    await producer.stop();
    const ways: Array<[string, (args: string[]) => Promise<CliResult>]> = [
      ['--no-prepared-statements', (args) => runPgq(pooled, ['--no-prepared-statements', ...args])],
      ['PGQ_PREPARED_STATEMENTS=false', (args) => runPgq(pooled, args, { PGQ_PREPARED_STATEMENTS: 'false' })],
    ];
    // Both ways at once (each command twice, on whatever server sessions the pool hands out);
    // each way takes its own jobs, so both find what they act on.
    await Promise.all(ways.map(async ([way, pgq], w) => {
      const [a, b, c] = ids.slice(w * 4, w * 4 + 4);
      const commands: string[][] = [
        ['verify'],
        ['install'],
        ['queue'],
        ['queue', '--json'],
        ['schedules'],
        ['jobs'],
        ['jobs', '--status', 'queued', '--json'],
        ['job', String(a)],
        ['enqueue', 'cli_job', '{"from":"cli"}', '--manifest', ''],
        ['pause', 'cli_job'],
        ['resume', 'cli_job'],
        ['cancel', String(b)],
        ['requeue', String(b)],
        ['delete', String(c)],
        ['failures'],
        ['dashboard', '--once'],
        ['clear', 'cli_other', '--yes'],
      ];
      for (const args of commands) {
        const result = await pgq(args);
        assert.equal(result.code, 0, `pgq ${args.join(' ')} (${way}): exit ${result.code}\n${result.stderr}`);
      }
    }));
    // Without either, a second command finds the first one's prepared statement on its pooled session.
    const results = [await runPgq(pooled, ['queue']), await runPgq(pooled, ['queue']), await runPgq(pooled, ['queue'])];
    const failed = results.find((r) => r.code !== 0);
    if (failed) {
      assert.equal(failed.code, 2);
      assert.match(failed.stderr, /^pgq: pgqueuer's "queue_size" statement was refused .*PgBouncer.*--no-prepared-statements/);
    }
  });

  test('PGQ_LISTEN_URL gives a worker that sets no listenConnection its direct LISTEN', async () => {
    const previous = process.env.PGQ_LISTEN_URL;
    process.env.PGQ_LISTEN_URL = db.url;
    const logger = recordingLogger();
    try {
      const worker = await PgQueuer.connect(pooled, { preparedStatements: false, pollIntervalMs: 10_000, logger });
      let started = deferred();
      worker.entrypoint('env_listen', async () => started.resolve());
      const stop = startWorker(worker);
      const producer = await PgQueuer.connect(pooled, { preparedStatements: false });
      try {
        await until(() => worker.health().ready, 10_000, 'the worker to be ready');
        started = deferred();
        const t0 = Date.now();
        await producer.enqueue('env_listen', {});
        await within(started.promise, 5_000, 'the job');
        assert.ok(Date.now() - t0 < 2_000, `woken after ${Date.now() - t0} ms`);
      } finally {
        await stop();
        await producer.stop();
      }
      assert.deepEqual(logger.warnings.filter((w) => /notifications do not arrive/.test(w)), []);
    } finally {
      if (previous === undefined) delete process.env.PGQ_LISTEN_URL;
      else process.env.PGQ_LISTEN_URL = previous;
    }
  });

  test('pgq --no-prepared-statements --listen-url run <module>: the worker the module exports gets both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgq-bouncer-run-'));
    const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
    // Sets neither option itself: what it gets comes from pgq's flags.
    writeFileSync(
      join(dir, 'worker.mts'),
      `import { PgQueuer } from ${JSON.stringify(index)};
export default async () => {
  const logger = { debug() {}, info() {}, error() {}, warn: (_o: unknown, m: string) => console.error('WARN ' + m) };
  const pgq = await PgQueuer.connect(process.env.DATABASE_URL, { pollIntervalMs: 10_000, logger });
  pgq.entrypoint('cli_run', async () => console.error('RAN'));
  return pgq;
};
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', pgqMain, '--no-prepared-statements', '--listen-url', db.url, 'run', join(dir, 'worker.mts')], {
      env: { ...process.env, DATABASE_URL: pooled, PGQ_LISTEN_URL: undefined, PGQ_PREPARED_STATEMENTS: undefined, PGQ_SCHEMA: undefined },
    });
    let stderr = '';
    const seen = async (pattern: RegExp): Promise<void> => {
      await until(() => pattern.test(stderr) || child.exitCode !== null, 20_000, `${pattern} in the worker's stderr`);
      assert.match(stderr, pattern);
    };
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const producer = await PgQueuer.connect(pooled, behindPgBouncer());
    try {
      await seen(/worker from .* running/);
      // The worker's first claim may still be on its way: the job waits for it or for the NOTIFY.
      const t0 = Date.now();
      await producer.enqueue('cli_run', {});
      await seen(/RAN/);
      assert.ok(Date.now() - t0 < 3_000, `the job started after ${Date.now() - t0} ms (the poll interval is 10 s)`);
      child.kill('SIGTERM');
      assert.equal(await within(exited, 15_000, 'the worker to exit'), 0, stderr);
      assert.doesNotMatch(stderr, /WARN|refused/);
    } finally {
      child.kill('SIGKILL');
      await producer.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
