/**
 * The package as a user gets it: `npm pack`, installed into a fresh app, then `npx pgq install`
 * and the README's quick start, run verbatim.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { packPackage } from '../support/packed-package.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

let db: TestDatabase;
let app: string;
before(async () => {
  db = await createTestDatabase();
  app = mkdtempSync(join(tmpdir(), 'pgq-app-'));
});
after(async () => {
  rmSync(app, { recursive: true, force: true });
  await db.drop();
});

/** The first ```js block after the "## Quick start" heading of README.md. */
function readmeQuickStart(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  assert.ok(match, 'README.md has a js block under "## Quick start"');
  return match[1]!;
}

test('npm pack → npm install in a fresh app → npx pgq install → the README quick start', { timeout: 240_000 }, async () => {
  const tarball = await packPackage(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, maxBuffer: 10e6 });

  const env = { ...process.env, DATABASE_URL: db.url };
  const installed = await run('npx', ['--no-install', 'pgq', 'install'], { cwd: app, env });
  assert.match(installed.stdout, /installed schema "pgqueuer"/);
  const verified = await run('npx', ['--no-install', 'pgq', 'verify'], { cwd: app, env });
  assert.match(verified.stdout, /installed and up to date/);

  writeFileSync(join(app, 'quickstart.mjs'), readmeQuickStart());
  const { stdout } = await run(process.execPath, ['quickstart.mjs'], { cwd: app, env, timeout: 60_000 });
  assert.match(stdout, /enqueued job \d+/);
  assert.match(stdout, /hello, world! \(attempt 1\)/);

  // Types ship with the package and resolve under nodenext.
  writeFileSync(
    join(app, 'consumer.ts'),
    `import { PgQueuer, DuplicateJobError, type Job, type EnqueueOptions } from 'pgqueuer';
const pgq = await PgQueuer.connect(process.env.DATABASE_URL, { concurrency: 4 });
pgq.entrypoint<{ name: string }>('greet', { retry: { maxAttempts: 3 } }, async (job: Job<{ name: string }>, ctx) => {
  ctx.signal.throwIfAborted();
  return job.payload.name.toUpperCase();
});
const options: EnqueueOptions = { priority: 1, dedupeKey: 'k' };
try { await pgq.enqueue('greet', { name: 'x' }, options); } catch (e) { if (e instanceof DuplicateJobError) console.log(e.dedupeKeys); }
// @ts-expect-error: unknown options are rejected by the types too
pgq.entrypoint('bad', { concurency: 2 }, async () => {});
pgq.metrics?.registry.metrics();
// @ts-expect-error: the engine's hooks are @internal, left out of the published types
pgq.metrics?.recorded('greet', 'successful', 1);
`,
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, noEmit: true }, files: ['consumer.ts'] }),
  );
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], { cwd: app }).catch((err) => {
    assert.fail(`a TypeScript consumer does not type-check against the packed types:\n${err.stdout}`);
  });

  // Declaration maps point at sources that ship too, so go-to-definition opens real code.
  const packageDir = join(app, 'node_modules/pgqueuer');
  const map = JSON.parse(readFileSync(join(packageDir, 'dist/src/index.d.ts.map'), 'utf8')) as { sources: string[] };
  assert.ok(existsSync(resolve(packageDir, 'dist/src', map.sources[0]!)), `the declaration map's source ${map.sources[0]} is in the package`);
  for (const file of ['LICENSE', 'CHANGELOG.md']) assert.ok(existsSync(join(packageDir, file)), `${file} is in the package`);
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  assert.match(manifest.repository.url, /github\.com/);
  assert.ok(manifest.homepage && manifest.bugs.url, 'homepage and bugs are set');
});

test('the example app in the fresh app: pgq generate, tsc under nodenext and bundler, run under tsx and as compiled JS', { timeout: 300_000 }, async () => {
  // The generator's tools, as a user adds them (the tarball is already packageDir above).
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--save-dev', 'zod@^4', 'ts-morph', 'tsx', 'typescript@5'], { cwd: app, maxBuffer: 10e6 });
  mkdirSync(join(app, 'src'), { recursive: true });
  for (const file of ['jobs.schema.ts', 'worker.ts', 'producer.ts', 'main.ts']) {
    cpSync(join(root, 'examples/shop/src', file), join(app, 'src', file));
  }
  cpSync(join(root, 'examples/shop/src/handlers'), join(app, 'src/handlers'), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: db.url };

  const generated = await run('npx', ['--no-install', 'pgq', 'generate'], { cwd: app, env });
  assert.match(generated.stdout, /wrote src\/pgq\.generated\.ts/);
  // The same bytes as the example's committed client: generation does not depend on the project.
  assert.equal(readFileSync(join(app, 'src/pgq.generated.ts'), 'utf8'), readFileSync(join(root, 'examples/shop/src/pgq.generated.ts'), 'utf8'));

  const tsc = join(app, 'node_modules/typescript/bin/tsc');
  for (const [name, options] of Object.entries({
    nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
    bundler: { module: 'esnext', moduleResolution: 'bundler' },
  })) {
    writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: { ...options, target: 'es2022', strict: true, noEmit: true }, include: ['src'] }));
    await run(process.execPath, [tsc, '-p', `tsconfig.${name}.json`], { cwd: app }).catch((err) => {
      assert.fail(`the generated client does not type-check under ${name}:\n${err.stdout}`);
    });
  }

  const underTsx = await run('npx', ['--no-install', 'tsx', 'src/main.ts'], { cwd: app, env, timeout: 60_000 });
  assert.match(underTsx.stdout, /\[result\]  sendEmail \d+ delivered as msg-\d+-2/);
  assert.match(underTsx.stdout, /\[summary\] done/);

  // The example's own tests, through the packageDir pgqueuer/testing.
  cpSync(join(root, 'examples/shop/test'), join(app, 'test'), { recursive: true });
  // NODE_TEST_CONTEXT would make the nested runner report to ours instead of printing.
  const { NODE_TEST_CONTEXT: _nested, ...plainEnv } = env;
  const kit = await run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', 'test/shop.test.ts'], { cwd: app, env: plainEnv, timeout: 60_000 });
  assert.match(kit.stdout, /# pass 3/);

  writeFileSync(join(app, 'tsconfig.build.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, outDir: 'dist' }, include: ['src'] }));
  await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: app });
  const compiled = await run(process.execPath, ['dist/main.js'], { cwd: app, env, timeout: 60_000 });
  assert.match(compiled.stdout, /\[produce\] refused: invalid payload for "sendEmail"/);
  assert.match(compiled.stdout, /\[summary\] done/);

  // Types only TypeScript's checker prints, through the installed package: its lean program
  // (no DOM, no @types) prints the transform, and the DOM's URLSearchParams, which it cannot
  // resolve (and would read as "any", like the z.any() beside it), comes from the project's own
  // options.
  mkdirSync(join(app, 'checked'));
  writeFileSync(
    join(app, 'checked/jobs.schema.ts'),
    `import { z } from 'zod';\nimport { defineJobs } from 'pgqueuer';\nexport default defineJobs({\n` +
      `  counted: { payload: z.object({ n: z.string().transform((s) => s.length) }) },\n` +
      `  query: { payload: z.object({ q: z.custom<URLSearchParams>(), extra: z.any() }) },\n});\n`,
  );
  await run('npx', ['--no-install', 'pgq', 'generate', '--schema', 'checked/jobs.schema.ts', '--out', 'checked/pgq.generated.ts', '--handlers', 'checked/handlers'], { cwd: app, env });
  const checked = readFileSync(join(app, 'checked/pgq.generated.ts'), 'utf8');
  assert.match(checked, /export interface CountedParsed \{\s+n: number;/);
  assert.match(checked, /q: \{[^}]*getAll: \(name: string\) => string\[\];/, 'URLSearchParams resolved, not "any"');
});
