import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { packageVersion } from '../../src/cli/package-version.js';

describe('packageVersion', () => {
  test('from src/cli (tsx): the repository package.json', () => {
    assert.equal(packageVersion(), JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });

  test('from dist/src/cli of an installed package, skipping package.json files of other names', () => {
    const root = mkdtempSync(join(tmpdir(), 'pgq-version-'));
    try {
      writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'pgqueuer', version: '9.8.7' }));
      mkdirSync(join(root, 'dist', 'src', 'cli'), { recursive: true });
      // A nested package.json (a build's {"type":"module"}) is not the package's.
      writeFileSync(join(root, 'dist', 'package.json'), JSON.stringify({ type: 'module' }));
      assert.equal(packageVersion(pathToFileURL(join(root, 'dist', 'src', 'cli', 'main.js')).href), '9.8.7');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
