import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { SourceWatcher } from '../../src/cli/source-watcher.js';
import { within } from '../support/wait.js';

let root: string;
let watcher: SourceWatcher | undefined;
afterEach(() => {
  watcher?.close();
  rmSync(root, { recursive: true, force: true });
});

/** A project folder with a worker tree (src/) and a config beside it. */
function project(): string {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'pgq-watch-')));
  for (const dir of ['src/handlers', 'src/node_modules/dep', 'src/.cache']) mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, 'pgq.config.ts'), 'export default {};\n');
  writeFileSync(join(root, 'notes.ts'), '');
  return root;
}

/** The watcher's bursts, one promise per burst, in order. */
function bursts(options: { folders: string[]; files: string[]; debounceMs?: number }): () => Promise<string[]> {
  const seen: string[][] = [];
  const waiting: Array<(paths: string[]) => void> = [];
  watcher = new SourceWatcher({
    debounceMs: options.debounceMs ?? 100,
    folders: options.folders,
    files: options.files,
    changed: (paths) => {
      const next = waiting.shift();
      if (next) next(paths);
      else seen.push(paths);
    },
  });
  return () => (seen.length > 0 ? Promise.resolve(seen.shift()!) : new Promise((resolve) => waiting.push(resolve)));
}

test('a burst of saves is one change, naming every file; what is not source is left out', async () => {
  const dir = project();
  const next = bursts({ folders: [join(dir, 'src')], files: [join(dir, 'pgq.config.ts')] });
  // Left out: dependencies, dot folders, files that are not source, files outside what is watched.
  writeFileSync(join(dir, 'src/node_modules/dep/index.js'), '');
  writeFileSync(join(dir, 'src/.cache/x.ts'), '');
  writeFileSync(join(dir, 'src/worker.ts.swp'), '');
  writeFileSync(join(dir, 'notes.ts'), 'changed');
  // Counted: sources in the tree, in subfolders, and the single file.
  writeFileSync(join(dir, 'src/worker.ts'), '');
  writeFileSync(join(dir, 'src/handlers/a.ts'), '');
  writeFileSync(join(dir, 'pgq.config.ts'), 'export default { schema: "x" };\n');
  const paths = await within(next(), 5_000, 'the burst');
  assert.deepEqual([...new Set(paths)].sort(), [join(dir, 'pgq.config.ts'), join(dir, 'src/handlers/a.ts'), join(dir, 'src/worker.ts')]);
});

test('a folder created after the start is watched too', async () => {
  const dir = project();
  const next = bursts({ folders: [join(dir, 'src')], files: [] });
  mkdirSync(join(dir, 'src/jobs'));
  assert.deepEqual(await within(next(), 5_000, 'the new folder'), [join(dir, 'src/jobs')]);
  writeFileSync(join(dir, 'src/jobs/report.ts'), '');
  assert.deepEqual(await within(next(), 5_000, 'a file in it'), [join(dir, 'src/jobs/report.ts')]);
});

test('a file replaced by a rename (how many editors save) still counts, again and again', async () => {
  const dir = project();
  const next = bursts({ folders: [], files: [join(dir, 'pgq.config.ts')] });
  for (let i = 0; i < 2; i++) {
    writeFileSync(join(dir, 'pgq.config.ts.tmp'), `export default { n: ${i} };\n`);
    renameSync(join(dir, 'pgq.config.ts.tmp'), join(dir, 'pgq.config.ts'));
    assert.deepEqual(await within(next(), 5_000, `save ${i + 1}`), [join(dir, 'pgq.config.ts')]);
  }
});
