/**
 * The package as npm would publish it, built and packed in a copy of the project so that test
 * files packing at the same time never see each other's half-written dist/ (npm's prepack
 * empties it first).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Builds the package, packs it into `destination` and returns the tarball's path. */
export async function packPackage(destination: string): Promise<string> {
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
