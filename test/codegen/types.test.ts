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
};
const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');

const resolutions: Record<string, Record<string, string>> = {
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
};

/** Compiles `files` (beside the fixture, so its relative imports hold) and returns tsc's errors. */
function compile(file: string, resolution: Record<string, string>): Promise<string[]> {
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
      files: [file],
    }),
  );
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', config], { cwd: repoRoot, maxBuffer: 10e6 }, (_err, stdout) => {
      rmSync(dir, { recursive: true, force: true });
      resolve(stdout.split('\n').filter((l) => / error TS\d+/.test(l)));
    });
  });
}

for (const [what, fixture] of Object.entries(fixtures)) {
  for (const [name, resolution] of Object.entries(resolutions)) {
    test(`${what} type-checks under moduleResolution ${name}, rejecting every marked misuse`, { timeout: 120_000 }, async () => {
      assert.deepEqual(await compile(fixture, resolution), []);
    });
  }

  test(`${what}: each @ts-expect-error in the fixture marks a real type error`, { timeout: 120_000 }, async () => {
    const source = readFileSync(fixture, 'utf8');
    const markers = source.split('\n').filter((l) => l.trim().startsWith('// @ts-expect-error')).length;
    assert.ok(markers >= 7);
    const unmarked = fixture.replace(/\.fixture\.ts$/, '.unmarked.fixture.ts');
    writeFileSync(unmarked, source.replaceAll('// @ts-expect-error', '// (expected error)'));
    try {
      const errors = await compile(unmarked, resolutions.nodenext!);
      const lines = new Set(errors.map((e) => /\((\d+),\d+\)/.exec(e)?.[1]));
      // A marker names the line after it; each must have an error of its own.
      const marked = source.split('\n').flatMap((l, i) => (l.trim().startsWith('// @ts-expect-error') ? [String(i + 2)] : []));
      assert.deepEqual(marked.filter((line) => !lines.has(line)), [], `every marked line must fail, got:\n${errors.join('\n')}`);
    } finally {
      rmSync(unmarked, { force: true });
    }
  });
}
