import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PgQueuerError } from '../src/errors.js';
import { importModule } from '../src/load-module.js';
import { CodegenError } from './errors.js';

/** A user module (schema or config file) as the generator ran it. */
export interface LoadedModule {
  exports: Record<string, unknown>;
  /** Absolute paths of the project files it is made of (itself and what it imports, not packages nor pgqueuer): what --watch follows. */
  inputs: string[];
  /** The packages those files import (specifiers as written), where known. */
  packages: string[];
}

type Esbuild = typeof import('esbuild');
let esbuild: Esbuild | null | undefined;
let serial = 0;
/** src/ beside codegen/: this repository's source, or dist/src/ when installed. */
const ownSource = resolve(dirname(fileURLToPath(import.meta.url)), '../src') + sep;

/**
 * Runs a TypeScript module for the generator. Through tsx's loader this took most of a second
 * (a loader thread, and every import of zod and pgqueuer passing through it); instead the file
 * and the project files it imports are bundled with esbuild (the one tsx itself uses), packages
 * left as imports, into one ES module written beside the file, so that packages resolve from
 * where they would, and that is imported natively. Each load gets a new file name: the module
 * cache would otherwise hand --watch the first version again. Without esbuild, tsx does it.
 */
export async function loadModule(relativeOrAbsolute: string, shown: string): Promise<LoadedModule> {
  const path = resolve(relativeOrAbsolute);
  const build = findEsbuild();
  if (!build) return { exports: await importModule(path), inputs: [path], packages: ['(unknown: loaded by tsx)'] };
  const dir = dirname(path);
  let bundled: Awaited<ReturnType<Esbuild['build']>>;
  try {
    bundled = await build.build({
      entryPoints: [path],
      absWorkingDir: dir,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node}`,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
  } catch (err) {
    const first = (err as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors?.[0];
    if (!first) throw new CodegenError(`loading ${shown} failed: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
    const where = first.location ? `${first.location.file}:${first.location.line}: ` : '';
    throw new CodegenError(`loading ${shown} failed: ${where}${first.text}`);
  }
  const local = Object.entries(bundled.metafile!.inputs)
    .filter(([input]) => !/(^|\/)node_modules\//.test(input) && !input.includes(':'))
    .map(([input, info]) => [isAbsolute(input) ? input : resolve(dir, input), info] as const)
    // pgqueuer's own source, where tsconfig paths point an import at it (this repository's examples and tests).
    .filter(([input]) => !input.startsWith(ownSource));
  // The module itself first: --watch names it.
  const inputs = [path, ...local.map(([input]) => input).filter((input) => input !== path)];
  const packages = [...new Set(local.flatMap(([, info]) => info.imports.filter((i) => i.external).map((i) => i.path)))];
  const file = resolve(dir, `.${basename(path)}.${process.pid}-${++serial}.pgq.mjs`);
  try {
    writeFileSync(file, bundled.outputFiles![0]!.text);
  } catch {
    // A folder we may not write to: tsx can load the file where it is, only slower.
    return { exports: await importModule(path), inputs, packages };
  }
  try {
    return { exports: (await import(pathToFileURL(file).href)) as Record<string, unknown>, inputs, packages };
  } catch (err) {
    // pgqueuer's own errors (a bad job definition) already name what to fix.
    if (err instanceof PgQueuerError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    // CommonJS names (__dirname, require) exist under tsx, not in an ES module: let tsx run it.
    if (err instanceof ReferenceError && /^(__dirname|__filename|require|module|exports) is not defined/.test(message)) {
      unlinkSync(file);
      return { exports: await importModule(path), inputs, packages };
    }
    throw new CodegenError(`loading ${shown} failed: ${message.split('\n')[0]}`, { cause: err });
  } finally {
    if (existsSync(file)) unlinkSync(file);
  }
}

/** tsx's own esbuild (so pnpm's strict layout finds it too), else one the project has. */
function findEsbuild(): Esbuild | null {
  if (esbuild !== undefined) return esbuild;
  const require = createRequire(import.meta.url);
  for (const from of [() => require.resolve('tsx/package.json'), () => resolve(process.cwd(), 'package.json')]) {
    try {
      esbuild = createRequire(from())('esbuild') as Esbuild;
      return esbuild;
    } catch {
      // Try the next place.
    }
  }
  esbuild = null;
  return esbuild;
}
