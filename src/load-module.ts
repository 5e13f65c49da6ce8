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
    if (!typescript) return unwrapCommonJs(await import(pathToFileURL(absolute).href));
    let tsImport: (specifier: string, parent: string) => Promise<unknown>;
    try {
      ({ tsImport } = (await import('tsx/esm/api')) as { tsImport: typeof tsImport });
    } catch {
      throw new PgQueuerError(`loading ${path} (TypeScript) needs the "tsx" package: npm install --save-dev tsx`);
    }
    return unwrapCommonJs(await tsImport(absolute, import.meta.url));
  } catch (err) {
    if (err instanceof PgQueuerError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new PgQueuerError(`loading ${path} failed: ${summary(message)}`, { cause: err });
  }
}

/**
 * In a CommonJS project (`"type": "commonjs"`, npm's default), a module written with
 * `export default` is compiled to CommonJS (by tsx or tsc), and importing it yields its whole
 * `module.exports` as `default`: `{ default: { __esModule: true, default: config } }`. Such a
 * module reads as the ES module it was written as.
 */
function unwrapCommonJs(namespace: unknown): Record<string, unknown> {
  const ns = namespace as Record<string, unknown>;
  const inner = ns.default as Record<string, unknown> | undefined;
  return inner !== null && typeof inner === 'object' && inner.__esModule === true ? inner : ns;
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
