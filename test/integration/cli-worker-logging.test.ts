import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeProject, type Project } from '../support/project.js';
import { followPgq } from '../support/pgq-cli.js';
import { within } from '../support/wait.js';
import { db, producer, useFileDatabase } from '../support/file-database.js';

useFileDatabase();

// A scaffolded stub as `pgq generate` writes it: it throws until implemented. Two attempts,
// so "each failed attempt" is seen, not only the last.
const WORKER = `
import { PgQueuer } from 'pgqueuer';
export default async function createWorker() {
  const pgq = await PgQueuer.connect(process.env.DATABASE_URL, { pollIntervalMs: 200 });
  pgq.entrypoint('stub', { retry: { maxAttempts: 2, initialDelayMs: 0 } }, async () => {
    throw new Error('not implemented yet');
  });
  return pgq;
}
`;

function workerProject(): Project {
  return makeProject({ 'src/worker.ts': WORKER });
}

/** The JSON lines of a worker's stderr (the CLI's own lines are plain text). */
function logEntries(stderr: string): Array<Record<string, any>> {
  return stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
}

async function stop(worker: ReturnType<typeof followPgq>): Promise<void> {
  worker.child.kill('SIGTERM');
  assert.equal(await within(worker.exited, 15_000, 'the worker to exit'), 0, worker.stderr());
}

describe('pgq run logs', () => {
  test('at info by default: start, stop, and every failed attempt as a warning naming the job and the error', { timeout: 60_000 }, async () => {
    const project = workerProject();
    const worker = followPgq(['run', 'src/worker.ts'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    try {
      await within(worker.waitFor(/worker from src\/worker\.ts running/), 20_000, 'the worker to start');
      const id = await producer.enqueue('stub', {});
      await within(worker.waitFor(/attempt 2 failed; no attempts left/), 15_000, 'the second failure in the output');
      await stop(worker);
      const entries = logEntries(worker.stderr());
      const failures = entries.filter((e) => e.jobId === id);
      assert.deepEqual(
        failures.map((e) => ({ level: e.level, entrypoint: e.entrypoint, attempt: e.attempt, message: e.err?.message })),
        [
          { level: 'warn', entrypoint: 'stub', attempt: 1, message: 'not implemented yet' },
          { level: 'warn', entrypoint: 'stub', attempt: 2, message: 'not implemented yet' },
        ],
      );
      assert.match(failures[0]!.msg, new RegExp(`job ${id} \\(stub\\) attempt 1 failed; retrying`));
      assert.ok(entries.some((e) => e.level === 'info' && e.msg === 'pgqueuer: worker started'), `the start is logged:\n${worker.stderr()}`);
      assert.ok(entries.some((e) => e.level === 'info' && e.msg === 'pgqueuer: worker stopped'), `the stop is logged:\n${worker.stderr()}`);
    } finally {
      worker.child.kill('SIGKILL');
      project.remove();
    }
  });

  test('--quiet keeps warnings and drops info; --log-level error drops the failures too', { timeout: 60_000 }, async () => {
    const project = workerProject();
    try {
      // Nothing at info announces the start, so the job waits for the worker instead.
      const first = await producer.enqueue('stub', {});
      const quiet = followPgq(['run', 'src/worker.ts', '--quiet'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
      try {
        await within(quiet.waitFor(new RegExp(`job ${first} \\(stub\\) attempt 2 failed`)), 20_000, 'the failure under --quiet');
        await stop(quiet);
        const levels = new Set(logEntries(quiet.stderr()).map((e) => e.level));
        assert.deepEqual([...levels], ['warn']);
        assert.doesNotMatch(quiet.stderr(), /running; Ctrl-C/, 'the CLI\'s own info line is dropped too');
      } finally {
        quiet.child.kill('SIGKILL');
      }

      const second = await producer.enqueue('stub', {});
      const errorsOnly = followPgq(['run', 'src/worker.ts', '--log-level', 'error'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
      try {
        const done = await producer.waitFor(second, { timeoutMs: 20_000 });
        assert.equal(done.status, 'exception');
        await stop(errorsOnly);
        assert.equal(errorsOnly.stderr(), '');
      } finally {
        errorsOnly.child.kill('SIGKILL');
      }
    } finally {
      project.remove();
    }
  });

  test('--quiet and --log-level together are refused', async () => {
    const run = followPgq(['run', 'src/worker.ts', '--quiet', '--log-level', 'debug'], { env: { DATABASE_URL: db.url } });
    assert.equal(await run.exited, 2);
    assert.match(run.stderr(), /--quiet.*cannot be used with option '--log-level/);
  });
});
