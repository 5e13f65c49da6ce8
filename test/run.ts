/**
 * `npm test`: starts one embedded PostgreSQL for the whole run unless PGQ_TEST_DATABASE_URL or
 * DATABASE_URL points at a server, then runs every test file with Node's test runner, files
 * in parallel (each creates its own database), each bundled first (test/support/bundle.ts).
 * Pass paths or name fragments to run a subset.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startEmbeddedPostgres } from '../src/postgres/embedded.js';
import { bundleTestFiles } from './support/bundle.js';

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return testFiles(path);
    return entry.endsWith('.test.ts') ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const root = new URL('..', import.meta.url).pathname;
// The project's tests, and the example apps' own tests (they use pgqueuer/testing).
const files = [...testFiles(join(root, 'test')), ...testFiles(join(root, 'examples'))]
  .map((f) => relative(process.cwd(), f))
  .filter((f) => filters.length === 0 || filters.some((filter) => f.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(2);
}

// Each file runs bundled with what it imports from the repository (test/support/bundle.ts):
// node loads a bundle in less than half the CPU tsx's loader takes for the same modules, and a
// run starts a hundred test processes. The bundles are in .scratch/, removed at the end.
// Built before the server starts: a file that does not compile stops the run here.
const bundles = join(root, '.scratch', `test-run-${process.pid}`);
const bundled = await bundleTestFiles(files.map((f) => join(process.cwd(), f)), bundles);

const external = process.env.PGQ_TEST_DATABASE_URL ?? process.env.DATABASE_URL;
const server = external ? undefined : await startEmbeddedPostgres();
const url = external ?? server!.url;
console.log(`pgqueuer tests: ${files.length} files against ${external ? 'DATABASE_URL' : `embedded PostgreSQL on port ${server!.port}`}`);

// A folder the files of this run share (the packed package: test/support/packed-package.ts).
const shared = mkdtempSync(join(tmpdir(), 'pgq-test-run-'));

// Test files mostly wait on the database, so run more of them than there are cores.
const concurrency = Number(process.env.PGQ_TEST_CONCURRENCY ?? Math.max(4, availableParallelism() * 2));
const child = spawn(
  process.execPath,
  ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...bundled],
  { stdio: 'inherit', env: { ...process.env, PGQ_TEST_DATABASE_URL: url, PGQ_TEST_SHARED_DIR: shared } },
);
// Interrupted: let the test processes end, then stop the server (it would outlive us).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => child.kill(signal));
}
const code = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await server?.stop();
rmSync(shared, { recursive: true, force: true });
rmSync(bundles, { recursive: true, force: true });
process.exit(code);
