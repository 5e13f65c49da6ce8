import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeProject } from '../support/project.js';
import { followPgq } from '../support/pgq-cli.js';
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
});
