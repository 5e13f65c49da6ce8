import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/project.js';

const fixtures = {
  'the generated client': join(repoRoot, 'test/types/generated-client.fixture.ts'),
  'payload versions (upcasters)': join(repoRoot, 'test/types/upcasters.fixture.ts'),
  'typed job dependencies': join(repoRoot, 'test/types/dependencies.fixture.ts'),
  'group limits': join(repoRoot, 'test/types/groups.fixture.ts'),
};
const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');

const resolutions: Record<string, Record<string, string>> = {
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
};

/**
 * Compiles `files` in one program (they share the libraries and pgqueuer's types, which are
 * most of the work) and returns tsc's errors. The files sit beside the fixtures, so their
 * relative imports hold.
 */
function compile(files: string[], resolution: Record<string, string>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pgq-types-'));
  const config = join(dir, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: {
        ...resolution,
        target: 'es2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(repoRoot, 'node_modules/@types')],
        paths: { pgqueuer: [join(repoRoot, 'src/index.ts')], 'pgqueuer/testing': [join(repoRoot, 'src/testing/index.ts')] },
      },
      files,
    }),
  );
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', config], { cwd: repoRoot, maxBuffer: 10e6 }, (_err, stdout) => {
      rmSync(dir, { recursive: true, force: true });
      resolve(stdout.split('\n').filter((l) => / error TS\d+/.test(l)));
    });
  });
}

for (const [name, resolution] of Object.entries(resolutions)) {
  test(`every type fixture (${Object.keys(fixtures).join(', ')}) type-checks under moduleResolution ${name}, rejecting every marked misuse`, { timeout: 120_000 }, async () => {
    assert.deepEqual(await compile(Object.values(fixtures), resolution), []);
  });
}

test('each @ts-expect-error in the type fixtures marks a real type error', { timeout: 120_000 }, async () => {
  // The fixtures once more with the markers turned into comments: each marked line must fail.
  const unmarked = Object.entries(fixtures).map(([what, fixture]) => {
    const source = readFileSync(fixture, 'utf8');
    const file = fixture.replace(/\.fixture\.ts$/, '.unmarked.fixture.ts');
    writeFileSync(file, source.replaceAll('// @ts-expect-error', '// (expected error)'));
    // A marker names the line after it.
    const marked = source.split('\n').flatMap((l, i) => (l.trim().startsWith('// @ts-expect-error') ? [String(i + 2)] : []));
    return { what, file, marked };
  });
  try {
    const errors = await compile(unmarked.map((u) => u.file), resolutions.nodenext!);
    for (const { what, file, marked } of unmarked) {
      assert.ok(marked.length >= 7, `${what}: at least 7 markers`);
      const name = file.slice(file.lastIndexOf('/') + 1);
      const lines = new Set(errors.filter((e) => e.includes(name)).map((e) => /\((\d+),\d+\)/.exec(e)?.[1]));
      assert.deepEqual(marked.filter((line) => !lines.has(line)), [], `${what}: every marked line must fail, got:\n${errors.join('\n')}`);
    }
  } finally {
    for (const { file } of unmarked) rmSync(file, { force: true });
  }
});
