/**
 * The package as npm would publish it, built and packed in a copy of the project so that test
 * files packing at the same time never see each other's half-written dist/ (npm's prepack
 * empties it first).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { deferred, within } from './wait.js';

const run = promisify(execFile);
export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The packed package, copied into `destination`: its path. In a run of test/run.ts, which
 * gives the files a folder to share (PGQ_TEST_SHARED_DIR), the first file to ask builds and
 * packs it there and the others wait for that tarball (a build is ~10 s of CPU); run on its
 * own, a file packs its own.
 */
export async function packPackage(destination: string): Promise<string> {
  const shared = process.env.PGQ_TEST_SHARED_DIR;
  if (!shared) return buildAndPack(destination);
  const dir = join(shared, 'packed-package');
  const done = join(shared, 'packed-package.json');
  let packer = false;
  try {
    mkdirSync(dir);
    packer = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (packer) {
    let outcome: { tarball?: string; error?: string };
    try {
      outcome = { tarball: await buildAndPack(dir) };
    } catch (err) {
      outcome = { error: String((err as Error)?.stack ?? err) };
    }
    // Written whole, then renamed: a waiting file never reads half of it.
    writeFileSync(`${done}.tmp`, JSON.stringify(outcome));
    renameSync(`${done}.tmp`, done);
  }
  const outcome = JSON.parse(readFileSync(packer ? done : await appeared(done, 240_000), 'utf8')) as { tarball?: string; error?: string };
  if (!outcome.tarball) throw new Error(`building and packing the package failed (in another test file):\n${outcome.error}`);
  const copy = join(destination, basename(outcome.tarball));
  copyFileSync(outcome.tarball, copy);
  return copy;
}

/** Resolves with `path` once the file exists (watching its folder, no polling). */
async function appeared(path: string, ms: number): Promise<string> {
  const seen = deferred<string>();
  const watcher = watch(join(path, '..'), () => existsSync(path) && seen.resolve(path));
  try {
    if (existsSync(path)) return path;
    return await within(seen.promise, ms, `another test file to pack the package (${path})`);
  } finally {
    watcher.close();
  }
}

/** Builds the package, packs it into `destination` and returns the tarball's path. */
async function buildAndPack(destination: string): Promise<string> {
  const stage = mkdtempSync(join(tmpdir(), 'pgq-stage-'));
  try {
    const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { files: string[] };
    const sources = ['package.json', 'tsconfig.json', 'tsconfig.build.json', ...manifest.files.filter((f) => !f.startsWith('dist/'))];
    for (const entry of sources) cpSync(join(projectRoot, entry), join(stage, entry), { recursive: true });
    // The compiler needs the project's type packages; nothing of node_modules is packed.
    symlinkSync(join(projectRoot, 'node_modules'), join(stage, 'node_modules'));
    await run(process.execPath, [join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: stage });
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], { cwd: stage, maxBuffer: 10e6 });
    return join(destination, JSON.parse(stdout.slice(stdout.indexOf('[')))[0].filename);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** `npm install` in a test app: the local cache first, no audit or funding noise. */
export async function npmInstall(app: string, args: readonly string[]): Promise<void> {
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...args], { cwd: app, maxBuffer: 10e6 });
}
