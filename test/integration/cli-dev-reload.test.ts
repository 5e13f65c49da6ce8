import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { describe, test } from 'node:test';
import { PgQueuer } from '../../src/index.js';
import { makeProject } from '../support/project.js';
import { followPgq, pgqMain } from '../support/pgq-cli.js';
import { until, within } from '../support/wait.js';
import { db, producer, useFileDatabase } from '../support/file-database.js';

useFileDatabase();

// `answer` returns what src/answer.ts exports, so a change there is a change of handler.
// `slow` runs long enough to be in flight when the change lands.
const WORKER = `
import { PgQueuer } from 'pgqueuer';
import { answer } from './answer.js';
export default async function createWorker() {
  const pgq = await PgQueuer.connect(process.env.DATABASE_URL, { pollIntervalMs: 200 });
  pgq.entrypoint('answer', async () => answer);
  pgq.entrypoint('slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    return answer;
  });
  return pgq;
}
`;
const RUNNING = /worker from src\/worker\.ts running/;

describe('pgq dev reloads', () => {
  test('a changed handler is picked up; a job in flight during the change finishes on the old code', { timeout: 90_000 }, async () => {
    const project = makeProject({ 'src/worker.ts': WORKER, 'src/answer.ts': "export const answer = 'A';\n" });
    // With DATABASE_URL set, pgq dev uses that database: no embedded server to wait for.
    const dev = followPgq(['dev'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    try {
      await within(dev.waitFor(RUNNING), 30_000, 'the dev worker');
      assert.match(dev.stderr(), /watching src\/; the worker restarts on changes/);
      const before = await producer.enqueue('answer', {});
      assert.deepEqual(await producer.waitFor(before, { timeoutMs: 15_000 }), { id: before, status: 'successful', result: 'A' });

      const inFlight = await producer.enqueue('slow', {});
      await until(async () => (await producer.getJob(inFlight))?.status === 'picked', 10_000, 'the slow job to start');
      project.write('src/answer.ts', "export const answer = 'B';\n");
      await within(dev.waitFor(/src\/answer\.ts changed; restarting the worker/), 10_000, 'the change to be seen');
      // The old worker stops gracefully: its running job finishes there, with the old code.
      assert.deepEqual(await producer.waitFor(inFlight, { timeoutMs: 15_000 }), { id: inFlight, status: 'successful', result: 'A' });
      await within(dev.waitFor(RUNNING, 2), 30_000, 'the restarted worker');

      const after = await producer.enqueue('answer', {});
      assert.deepEqual(await producer.waitFor(after, { timeoutMs: 15_000 }), { id: after, status: 'successful', result: 'B' });
      assert.equal((await producer.getJob(inFlight))!.history.length, 1, 'the in-flight job ran once');

      dev.child.kill('SIGTERM');
      assert.equal(await within(dev.exited, 20_000, 'dev to stop'), 0, dev.stderr());
      assert.equal(dev.stderr().match(/pgqueuer: worker stopped/g)?.length, 2, 'each worker stopped gracefully');
    } finally {
      dev.child.kill('SIGKILL');
      project.remove();
    }
  });

  test('a worker that fails to load is reported once and started again on the next change', { timeout: 90_000 }, async () => {
    const project = makeProject({ 'src/worker.ts': WORKER, 'src/answer.ts': "export const answer = 'A';\n" });
    const dev = followPgq(['dev'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    try {
      await within(dev.waitFor(RUNNING), 30_000, 'the dev worker');
      project.write('src/answer.ts', 'export const answer = ;\n');
      await within(dev.waitFor(/the worker exited with code 2; it starts again on the next change/), 30_000, 'the failed start to be reported');
      assert.match(dev.stderr(), /loading src\/worker\.ts failed: .*answer\.ts:1:\d+: ERROR/, 'the load error names the file and line');

      project.write('src/answer.ts', "export const answer = 'C';\n");
      await within(dev.waitFor(RUNNING, 2), 30_000, 'the worker after the fix');
      const job = await producer.enqueue('answer', {});
      assert.deepEqual(await producer.waitFor(job, { timeoutMs: 15_000 }), { id: job, status: 'successful', result: 'C' });
      // Between the two changes the broken worker was started once, not in a loop.
      assert.equal(dev.stderr().match(/loading src\/worker\.ts failed/g)?.length, 1);

      dev.child.kill('SIGINT');
      assert.equal(await within(dev.exited, 20_000, 'dev to stop'), 0, dev.stderr());
    } finally {
      dev.child.kill('SIGKILL');
      project.remove();
    }
  });

  test('--no-watch runs the worker in the process itself, without watching', { timeout: 60_000 }, async () => {
    const project = makeProject({ 'src/worker.ts': WORKER, 'src/answer.ts': "export const answer = 'A';\n" });
    const dev = followPgq(['dev', '--no-watch'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    try {
      await within(dev.waitFor(RUNNING), 30_000, 'the dev worker');
      assert.doesNotMatch(dev.stderr(), /watching/);
      dev.child.kill('SIGTERM');
      assert.equal(await within(dev.exited, 20_000, 'dev to stop'), 0, dev.stderr());
    } finally {
      dev.child.kill('SIGKILL');
      project.remove();
    }
  });

  test('the embedded PostgreSQL outlives reloads, and a terminal\'s Ctrl-C (to the whole process group) does not cut it away under the stopping worker', { timeout: 180_000 }, async () => {
    const project = makeProject({ 'src/worker.ts': WORKER, 'src/answer.ts': "export const answer = 'A';\n" });
    chmodSync(project.dir, 0o755); // the embedded server runs as "postgres" when tests run as root
    const port = String(20_000 + Math.floor(Math.random() * 20_000));
    // A process group of its own, as a terminal's foreground job: Ctrl-C goes to every process in it.
    const dev = spawn(process.execPath, ['--import', 'tsx', pgqMain, 'dev', '--port', port], {
      cwd: project.dir,
      env: { ...process.env, DATABASE_URL: '' },
      detached: true,
    });
    let stderr = '';
    dev.stderr.on('data', (d) => (stderr += d));
    dev.stdout.resume();
    const exited = new Promise<number>((resolve) => dev.on('exit', (code) => resolve(code ?? 1)));
    const printed = (pattern: RegExp, count = 1) => until(() => (stderr.match(new RegExp(pattern.source, 'g'))?.length ?? 0) >= count, 90_000, `${pattern} in pgq dev's output:\n${stderr}`);
    let client: PgQueuer | undefined;
    try {
      await printed(RUNNING);
      const url = /embedded PostgreSQL at (\S+)/.exec(stderr)![1]!;
      client = await PgQueuer.connect(url);
      project.write('src/answer.ts', "export const answer = 'B';\n");
      await printed(RUNNING, 2);
      const job = await client.enqueue('answer', {});
      assert.deepEqual(await client.waitFor(job, { timeoutMs: 15_000 }), { id: job, status: 'successful', result: 'B' }, 'the same server, before and after the reload');

      const slow = await client.enqueue('slow', {});
      await until(async () => (await client!.getJob(slow))?.status === 'picked', 10_000, 'the slow job to start');
      await client.stop();
      client = undefined;
      process.kill(-dev.pid!, 'SIGINT');
      assert.equal(await within(exited, 60_000, 'pgq dev to stop'), 0, stderr);
      assert.doesNotMatch(stderr, /could not record job outcomes|connection lost|ECONNREFUSED/, 'the database stayed up until the worker had stopped');

      // Started again on the same data: the slow job finished in its one attempt.
      const again = followPgq(['dev', '--port', port, '--no-watch'], { cwd: project.dir, env: { DATABASE_URL: '' } });
      try {
        await within(again.waitFor(RUNNING), 60_000, 'pgq dev again');
        client = await PgQueuer.connect(url);
        const info = (await client.getJob(slow))!;
        assert.deepEqual([info.status, info.history.length, info.result], ['successful', 1, 'B']);
      } finally {
        await client?.stop();
        client = undefined;
        again.child.kill('SIGTERM');
        assert.equal(await within(again.exited, 30_000, 'pgq dev to stop again'), 0, again.stderr());
      }
    } finally {
      await client?.stop();
      try {
        process.kill(-dev.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      project.remove();
    }
  });
});
