import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { makeProject, repoRoot, type Project } from '../support/project.js';

const projects: Project[] = [];
after(() => projects.forEach((p) => p.remove()));

/** A project as `npm init` leaves it: a package.json, no tsconfig.json. */
function bareProject(packageJson: object): Project {
  const p = makeProject();
  projects.push(p);
  rmSync(join(p.dir, 'tsconfig.json'));
  p.write('package.json', `${JSON.stringify(packageJson, null, 2)}\n`);
  return p;
}

/**
 * What an installed pgqueuer gives the project: tests resolve it to this repository's source
 * instead (tsx and tsc both read `paths`), on top of the settings init wrote.
 */
function resolvePgqueuerToSource(p: Project): void {
  const tsconfig = JSON.parse(p.read('tsconfig.json'));
  tsconfig.compilerOptions.paths = { pgqueuer: [join(repoRoot, 'src/index.ts')] };
  p.write('tsconfig.json', JSON.stringify(tsconfig));
}

function typecheck(p: Project): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [join(p.dir, 'node_modules/typescript/bin/tsc'), '-p', p.dir], (err, stdout) => resolve({ code: err ? 1 : 0, out: stdout })),
  );
}

describe('pgq init, around the scaffold', () => {
  test('an ES module project: .gitignore, a nodenext tsconfig and the three scripts; the generated code type-checks', async () => {
    const p = bareProject({ name: 'app', private: true, type: 'module' });
    const run = await p.pgq(['init']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /created \.gitignore \(\.pgq\/\)/);
    assert.match(run.stdout, /created tsconfig\.json \(ES modules project\)/);
    assert.equal(p.read('.gitignore'), "# pgq dev: the embedded PostgreSQL's data\n.pgq/\n");
    const tsconfig = JSON.parse(p.read('tsconfig.json'));
    assert.deepEqual([tsconfig.compilerOptions.module, tsconfig.compilerOptions.moduleResolution], ['nodenext', 'nodenext']);
    assert.deepEqual(JSON.parse(p.read('package.json')).scripts, { generate: 'pgq generate', dev: 'pgq dev', worker: 'pgq run src/worker.ts' });

    resolvePgqueuerToSource(p);
    const generated = await p.pgq(['generate']);
    assert.equal(generated.code, 0, generated.stderr);
    const tsc = await typecheck(p);
    assert.equal(tsc.code, 0, tsc.out);
  });

  test('a CommonJS project: a tsconfig that checks and tsx runs the generated code; taken script names and existing rules kept', async () => {
    const p = bareProject({ name: 'app', private: true, scripts: { dev: 'vite', test: 'node --test' } });
    p.write('.gitignore', 'node_modules'); // no final newline
    const run = await p.pgq(['init']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /updated \.gitignore \(added \.pgq\/\)/);
    assert.match(run.stdout, /created tsconfig\.json \(CommonJS project\)/);
    assert.match(run.stdout, /kept    npm script "dev" \(exists; pgq's would be: pgq dev\)/);
    assert.equal(p.read('.gitignore'), "node_modules\n\n# pgq dev: the embedded PostgreSQL's data\n.pgq/\n");
    assert.deepEqual(JSON.parse(p.read('package.json')).scripts, { dev: 'vite', test: 'node --test', generate: 'pgq generate', worker: 'pgq run src/worker.ts' });
    const tsconfig = JSON.parse(p.read('tsconfig.json'));
    assert.deepEqual([tsconfig.compilerOptions.module, tsconfig.compilerOptions.moduleResolution], ['preserve', 'bundler']);

    resolvePgqueuerToSource(p);
    const generated = await p.pgq(['generate']);
    assert.equal(generated.code, 0, generated.stderr);
    const tsc = await typecheck(p);
    assert.equal(tsc.code, 0, tsc.out);
    // tsx loads the worker as CommonJS, and its default export is found: it is called, and
    // gets as far as connecting.
    const worker = await p.pgq(['run', 'src/worker.ts'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    assert.equal(worker.code, 2);
    assert.match(worker.stderr, /^pgq: (ConnectionError: )?cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/none/);
  });

  test("the user's .gitignore, tsconfig.json and scripts stay byte for byte; a second init changes nothing", async () => {
    const p = makeProject(); // it has its own tsconfig.json
    projects.push(p);
    p.write('.gitignore', 'dist/\r\n/.pgq\r\n');
    const pkg = '{\n\t"name": "app",\n\t"type": "module",\n\t"scripts": { "generate": "x", "dev": "y", "worker": "z" }\n}\n';
    p.write('package.json', pkg);
    const tsconfig = p.read('tsconfig.json');
    const run = await p.pgq(['init']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /kept    \.gitignore \(has \.pgq\/\)/);
    assert.match(run.stdout, /kept    tsconfig\.json \(exists\)/);
    for (const name of ['generate', 'dev', 'worker']) assert.match(run.stdout, new RegExp(`kept    npm script "${name}"`));
    assert.equal(p.read('.gitignore'), 'dist/\r\n/.pgq\r\n');
    assert.equal(p.read('package.json'), pkg);
    assert.equal(p.read('tsconfig.json'), tsconfig);

    const fresh = bareProject({ name: 'app', type: 'module' });
    await fresh.pgq(['init']);
    const files = ['.gitignore', 'tsconfig.json', 'package.json'].map((f) => fresh.read(f));
    const again = await fresh.pgq(['init']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(['.gitignore', 'tsconfig.json', 'package.json'].map((f) => fresh.read(f)), files);
  });
});
