/**
 * TypeScript entry points bundled into ES modules by esbuild (the one tsx uses), for the tests
 * that start the same program dozens of times: the CLI, the chaos suite's workers. Through
 * tsx's loader, node spends about 0.65 s of CPU starting `pgq --version` (the loader thread,
 * and each of some 300 modules passing through it); the bundle starts in about 0.2 s, and
 * building it takes about 0.15 s, once per test file.
 *
 * A bundle is the same code as its source under tsx: packages stay imports (resolved from this
 * repository's node_modules, the bundle being written inside it, in the ignored .scratch/), and
 * every source file keeps its own `import.meta.url`, replaced by its path at build time, so
 * what the code finds from where it is (templates, package.json, codegen's idea of pgqueuer's
 * own source, tsx's parent for user modules) is found as from source. The one exception is
 * src/cli/dev-database.ts, which starts the script beside it (`siblingScript`) with this
 * process's node flags: it gets the bundle's URL, so pgqBundle bundles embedded-database-host
 * beside main.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const scratch = join(repoRoot, '.scratch', `test-bundles-${process.pid}`);
const builds = new Map<string, Promise<string>>();

/** The bundled `pgq` (src/cli/main.ts): the path to run with node. */
export async function pgqBundle(): Promise<string> {
  return join(await bundled([join(repoRoot, 'src/cli/main.ts'), join(repoRoot, 'src/cli/embedded-database-host.ts')]), 'main.mjs');
}

/** A TypeScript script bundled on its own: the path to run with node. */
export async function scriptBundle(path: string): Promise<string> {
  const name = path.slice(path.lastIndexOf('/') + 1).replace(/\.[cm]?ts$/, '');
  return join(await bundled([path]), `${name}.mjs`);
}

/** Bundles `entries` into one folder (built once per process, removed when it exits). */
function bundled(entries: string[]): Promise<string> {
  const key = entries.join('\0');
  let build = builds.get(key);
  if (!build) {
    if (builds.size === 0) process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
    build = bundle(entries, join(scratch, String(builds.size)));
    builds.set(key, build);
  }
  return build;
}

/**
 * Test files for test/run.ts, each bundled with what it imports from the repository, into
 * `outdir` under their paths relative to the repository (test/unit/x.test.mjs), with inline
 * source maps: node's own, with --enable-source-maps, point a failure at the .ts line, as tsx's
 * did. Returns the bundles' paths, in the order of `files`.
 */
export async function bundleTestFiles(files: readonly string[], outdir: string): Promise<string[]> {
  await bundle(files, outdir, { outbase: repoRoot, sourcemap: true });
  return files.map((file) => join(outdir, relative(repoRoot, file).replace(/\.[cm]?ts$/, '.mjs')));
}

async function bundle(entries: readonly string[], outdir: string, tests?: { outbase: string; sourcemap: true }): Promise<string> {
  const esbuild = await import('esbuild');
  mkdirSync(outdir, { recursive: true });
  await esbuild.build({
    entryPoints: [...entries],
    outdir,
    ...(tests ? { outbase: tests.outbase, sourcemap: 'inline' as const } : { entryNames: '[name]' }),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node}`,
    logLevel: 'silent',
    plugins: [
      {
        name: 'own-import-meta-url',
        setup(build) {
          build.onLoad({ filter: /\.[cm]?ts$/ }, ({ path }) => {
            const source = readFileSync(path, 'utf8');
            // The CLI's bundle has embedded-database-host beside main (see above); a test bundle does not.
            const keep = !tests && path.endsWith('/src/cli/dev-database.ts');
            return { contents: keep ? source : source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(path).href)), loader: 'ts' };
          });
        },
      },
    ],
  });
  return outdir;
}
