/**
 * Health endpoints for orchestrators: /healthz answers while the process serves, /readyz only
 * while the worker claims, hears notifications and reaches its database; both on the metrics
 * server, on a health-only server, and from `pgq run --health-port`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { install, PgQueuer } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { repoRoot } from '../support/project.js';
import { FAST } from '../support/queue.js';
import { startProxy } from '../support/tcp-proxy.js';
import { until, within } from '../support/wait.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
  await install(db.url);
});
after(() => db.drop());

async function probe(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

test('/readyz goes 503 → 200 as the worker starts, 503 while the database is unreachable, 200 again; /healthz stays 200', async () => {
  const proxy = await startProxy(db.url);
  const pgq = await PgQueuer.connect(proxy.url(db.url), { ...FAST, metrics: false });
  pgq.entrypoint('noop', async () => {});
  const server = await pgq.healthServer({ port: 0 });
  const base = `http://127.0.0.1:${server.port}`;
  try {
    const before = await probe(`${base}/readyz`);
    assert.equal(before.status, 503);
    assert.match(JSON.parse(before.body).reason, /not running/);
    assert.equal((await probe(`${base}/healthz`)).status, 200);

    const running = pgq.run({ handleSignals: false });
    await until(async () => (await probe(`${base}/readyz`)).status === 200, 10_000, '/readyz to answer 200 once the worker runs');
    const ready = JSON.parse((await probe(`${base}/readyz`)).body);
    assert.deepEqual(ready, { ready: true, state: 'running', checks: { claiming: true, listening: true, database: true } });

    await proxy.close();
    const down = await until(async () => {
      const r = await probe(`${base}/readyz`);
      return r.status === 503 ? JSON.parse(r.body) : undefined;
    }, 10_000, '/readyz to answer 503 with the database cut off');
    assert.equal(down.ready, false);
    assert.ok(!down.checks.database || !down.checks.listening, `a failing check is named: ${JSON.stringify(down)}`);
    assert.equal((await probe(`${base}/healthz`)).status, 200, 'the process is alive all the same');

    await proxy.open();
    await until(async () => (await probe(`${base}/readyz`)).status === 200, 15_000, '/readyz to answer 200 once the database is back');

    await pgq.stop();
    await running;
  } finally {
    await pgq.stop();
    await proxy.close();
  }
});

test('the metrics server answers /healthz and /readyz too; HEAD works, other methods are refused', async () => {
  const pgq = await PgQueuer.connect(db.url, FAST);
  pgq.entrypoint('noop', async () => {});
  const server = await pgq.metricsServer({ port: 0 });
  const base = server.url.replace(/\/metrics$/, '');
  const running = pgq.run({ handleSignals: false });
  try {
    await until(async () => (await probe(`${base}/readyz`)).status === 200, 10_000, '/readyz 200 on the metrics server');
    assert.equal((await fetch(`${base}/healthz`, { method: 'HEAD' })).status, 200);
    assert.equal((await fetch(`${base}/readyz`, { method: 'POST' })).status, 405);
    assert.equal((await probe(`${base}/nothing`)).status, 404);
    assert.match((await probe(server.url)).body, /pgqueuer_/);
  } finally {
    await pgq.stop();
    await running;
  }
});

test('pgq run --health-port serves /readyz for the worker it runs', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'run', 'examples/shop/src/worker.ts', '--health-port', '0'],
    { cwd: repoRoot, env: { ...process.env, DATABASE_URL: db.url } },
  );
  let stderr = '';
  const announced = new Promise<string>((resolve) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      const match = /health at (http:\/\/127\.0\.0\.1:\d+)\/healthz/.exec(stderr);
      if (match) resolve(match[1]!);
    });
  });
  child.stdout.resume();
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  try {
    const base = await within(Promise.race([announced, exited.then((code) => Promise.reject(new Error(`pgq run exited ${code}: ${stderr}`)))]), 20_000, 'the health server line');
    await until(async () => (await probe(`${base}/readyz`)).status === 200, 20_000, 'pgq run to be ready');
    assert.equal((await probe(`${base}/healthz`)).status, 200);
    child.kill('SIGTERM');
    assert.equal(await within(exited, 15_000, 'pgq run to exit'), 0);
  } finally {
    child.kill('SIGKILL');
  }
});
