import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What the TypeScript checker would bring to a schema that the zod printer has to know about
 * without starting it: compiler options that change how optional members print, and the
 * string literals of the declarations it reads on the way (zod's, pgqueuer's), which can
 * change the order in which it prints a union of literals.
 */

/**
 * The tsconfig.json nearest the schema (and what it extends) leaves optional members printing
 * the default way: not with exactOptionalPropertyTypes, not without strictNullChecks. An
 * unreadable config counts as not.
 */
export function defaultOptionalPrinting(schemaPath: string): boolean {
  let dir = dirname(resolve(schemaPath));
  for (;;) {
    const candidate = join(dir, 'tsconfig.json');
    if (existsSync(candidate)) return settingsAllow(candidate, 0);
    const parent = dirname(dir);
    if (parent === dir) return true;
    dir = parent;
  }
}

function settingsAllow(path: string, depth: number): boolean {
  if (depth > 10) return false;
  let config: { extends?: string | string[]; compilerOptions?: Record<string, unknown> };
  try {
    // tsconfig is JSON with comments and trailing commas.
    const text = readFileSync(path, 'utf8')
      .replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\/|("(?:\\.|[^"\\])*")/g, (match, string?: string) => string ?? '')
      .replace(/,(\s*[}\]])/g, '$1');
    config = JSON.parse(text);
  } catch {
    return false;
  }
  const options = config.compilerOptions ?? {};
  if (options.exactOptionalPropertyTypes === true || options.strictNullChecks === false) return false;
  // A base that sets one is refused even if this file sets it back: rare, and only slower.
  for (const base of [config.extends ?? []].flat()) {
    let basePath: string;
    try {
      basePath = base.startsWith('.') || base.startsWith('/')
        ? resolve(dirname(path), base.endsWith('.json') ? base : `${base}.json`)
        : createRequire(path).resolve(base.endsWith('.json') ? base : `${base}/tsconfig.json`);
    } catch {
      return false;
    }
    if (!existsSync(basePath) || !settingsAllow(basePath, depth + 1)) return false;
  }
  return true;
}

const QUOTED = /"([^"\\\n]*)"|'([^'\\\n]*)'/g;

const literalsByDir = new Map<string, Set<string>>();

/** Every quoted text in zod's declaration files (as the schema resolves zod) and in pgqueuer's job option types; kept for --watch. */
export function declarationLiterals(schemaPath: string): Set<string> {
  const cached = literalsByDir.get(dirname(resolve(schemaPath)));
  if (cached) return cached;
  const texts = new Set<string>();
  literalsByDir.set(dirname(resolve(schemaPath)), texts);
  const add = (text: string) => {
    for (const match of text.matchAll(QUOTED)) texts.add(match[1] ?? match[2] ?? '');
  };
  let zodDir: string | undefined;
  try {
    let dir = dirname(createRequire(resolve(schemaPath)).resolve('zod'));
    while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== 'zod') {
      const parent = dirname(dir);
      if (parent === dir) throw new Error('zod not found');
      dir = parent;
    }
    zodDir = dir;
  } catch {
    // No zod where the schema is: the checker would not resolve its types either.
  }
  if (zodDir) {
    // What `import { z } from 'zod'` (zod 4) has the checker read; any other layout, all of it.
    const known = ['v4/core', 'v4/classic', 'v4/locales'].map((d) => join(zodDir!, d));
    const dirs = known.every((d) => existsSync(d)) ? known : [zodDir];
    for (const dir of dirs) {
      for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
        if (file.endsWith('.d.ts') && !file.includes('node_modules')) add(readFileSync(join(dir, file), 'utf8'));
      }
    }
  }
  // src/ beside codegen/ in this repository, dist/src/ beside dist/codegen/ when installed.
  const src = join(dirname(fileURLToPath(import.meta.url)), '../src');
  for (const file of ['types', 'schema/define-jobs']) {
    for (const ext of ['.d.ts', '.ts']) {
      if (existsSync(join(src, file + ext))) add(readFileSync(join(src, file + ext), 'utf8'));
    }
  }
  return texts;
}
