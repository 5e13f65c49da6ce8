import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { consoleLogger } from '../../src/index.js';
import { openQueue, startWorker } from '../support/queue.js';
import { countdown, until, within } from '../support/wait.js';
import { db, producer, useFileDatabase } from '../support/file-database.js';

useFileDatabase();

/** Collects what is written to stdout, stderr and the console while `work` runs. */
async function output(work: () => Promise<void>): Promise<string[]> {
  const written: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((s) => s.write);
  for (const s of streams) {
    s.write = ((chunk: unknown, ...rest: unknown[]) => {
      written.push(String(chunk));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof s.write;
  }
  try {
    await work();
  } finally {
    streams.forEach((s, i) => (s.write = originals[i]!));
  }
  return written;
}

test('quiet by default: a worker that fails jobs and loses its listener writes nothing', async () => {
  const written = await output(async () => {
    const worker = await openQueue(db.url);
    const attempts = countdown(2);
    worker.entrypoint('quiet', { retry: { maxAttempts: 2, initialDelayMs: 0 } }, async () => {
      attempts.tick();
      throw new Error('fails');
    });
    const stop = startWorker(worker);
    await producer.enqueue('quiet', {});
    await within(attempts.done, 10_000, 'two attempts');
    await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`);
    await stop();
  });
  assert.deepEqual(written, []);
});

test('a pino logger gets structured entries: lifecycle, claims at debug, errors as err', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const worker = await openQueue(db.url, { logger });
  const ran = countdown(1);
  worker.entrypoint('logged', async () => ran.tick());
  const stop = startWorker(worker);
  await producer.enqueue('logged', {});
  await within(ran.done, 10_000, 'the job');
  // The listener's connection dies: a warning with the error, then the reconnection.
  await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`);
  await until(() => lines.some((l) => l.msg === 'pgqueuer: notification listener reconnected') || undefined, 10_000, 'the reconnection');
  await stop();

  const started = lines.find((l) => l.msg === 'pgqueuer: worker started');
  assert.equal(started?.level, 30);
  assert.equal(started?.workerId, worker.workerId);
  assert.deepEqual(started?.entrypoints, ['logged']);
  const claimed = lines.find((l) => l.msg === 'pgqueuer: claimed' && l.claimed === 1);
  assert.equal(claimed?.level, 20, 'claims are debug');
  const failed = lines.find((l) => l.level === 40 && typeof l.msg === 'string' && l.msg.includes('listener failed'));
  assert.ok(failed, 'a warning when the listener failed');
  assert.equal(typeof (failed.err as { message?: unknown })?.message, 'string', 'the error under err, serialised by pino');
  assert.ok(lines.some((l) => l.msg === 'pgqueuer: worker stopped'));
});

test('consoleLogger writes one JSON line per entry to stderr, from its level up', async () => {
  const written = await output(async () => {
    const log = consoleLogger('info');
    log.debug({ hidden: true }, 'not shown');
    log.warn({ err: new TypeError('bad thing'), jobId: 7 }, 'pgqueuer: something failed');
  });
  assert.equal(written.length, 1);
  const entry = JSON.parse(written[0]!);
  assert.equal(entry.level, 'warn');
  assert.equal(entry.msg, 'pgqueuer: something failed');
  assert.equal(entry.jobId, 7);
  assert.match(JSON.stringify(entry.err), /TypeError.*bad thing/);
});

test("consoleLogger's text format: one line per entry with its fields, an error's stack indented below", async () => {
  const written = await output(async () => {
    const log = consoleLogger('info', { format: 'text' });
    log.debug({}, 'not shown');
    log.info({ workerId: 'w-1', entrypoints: ['a', 'b'] }, 'pgqueuer: worker started');
    const err = new Error('not implemented yet');
    err.stack = 'Error: not implemented yet\n    at handler (src/handlers/a.ts:3:9)';
    log.warn({ entrypoint: 'a', jobId: 7, attempt: 1, err }, 'pgqueuer: job 7 (a) attempt 1 failed; retrying');
  });
  assert.equal(written.length, 2);
  assert.match(written[0]!, /^\d\d:\d\d:\d\d\.\d{3} INFO  pgqueuer: worker started workerId=w-1 entrypoints=\["a","b"\]\n$/);
  assert.match(
    written[1]!,
    /^\d\d:\d\d:\d\d\.\d{3} WARN  pgqueuer: job 7 \(a\) attempt 1 failed; retrying entrypoint=a jobId=7 attempt=1\n {4}Error: not implemented yet\n {8}at handler \(src\/handlers\/a\.ts:3:9\)\n$/,
  );
});
