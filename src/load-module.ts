import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PgQueuerError } from './errors.js';

/**
 * Imports a user module: JavaScript natively, TypeScript through tsx (an optional peer
 * dependency, needed only for .ts files).
 */
export async function importModule(path: string): Promise<Record<string, unknown>> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new PgQueuerError(`module ${path} not found`);
  const typescript = /^\.(c|m)?tsx?$/.test(extname(absolute));
  try {
    if (!typescript) return (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
    let tsImport: (specifier: string, parent: string) => Promise<unknown>;
    try {
      ({ tsImport } = (await import('tsx/esm/api')) as { tsImport: typeof tsImport });
    } catch {
      throw new PgQueuerError(`loading ${path} (TypeScript) needs the "tsx" package: npm install --save-dev tsx`);
    }
    return esModuleView((await tsImport(absolute, import.meta.url)) as Record<string, unknown>);
  } catch (err) {
    if (err instanceof PgQueuerError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new PgQueuerError(`loading ${path} failed: ${summary(message)}`, { cause: err });
  }
}

/**
 * In a CommonJS project tsx compiles a TypeScript module's `export`s to CommonJS, and import()
 * then sees only `default`: the whole `module.exports`, marked `__esModule`. Its exports are
 * what the module declared (`export default` among them), as in an ES module project.
 */
function esModuleView(namespace: Record<string, unknown>): Record<string, unknown> {
  const exports = namespace.default as { __esModule?: unknown } | null | undefined;
  return typeof exports === 'object' && exports !== null && exports.__esModule === true ? (exports as Record<string, unknown>) : namespace;
}

/**
 * The first line of a load error, which is one line in pgq's output. A first line that only
 * announces what follows ("Transform failed with 1 error:", from a syntax error) gets the next
 * one too: it names the file, line and column.
 */
function summary(message: string): string {
  const [first = '', second] = message.split('\n').map((line) => line.trim()).filter(Boolean);
  return first.endsWith(':') && second ? `${first} ${second}` : first;
}
