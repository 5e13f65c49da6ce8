import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What `pgq init` adds around its scaffold so that `npm run dev` works in a fresh project: an
 * ignore rule for pgq dev's data, a tsconfig.json, npm scripts. Each leaves what the user has
 * alone and says what it did, in the words `pgq init` prints ("created", "kept", ...).
 */

const GITIGNORE_ENTRY = '.pgq/';

/** `.pgq/` in .gitignore: pgq dev keeps its embedded PostgreSQL's data there. */
export function ensureGitignoreEntry(root: string): string {
  const path = join(root, '.gitignore');
  if (!existsSync(path)) {
    writeFileSync(path, `# pgq dev: the embedded PostgreSQL's data\n${GITIGNORE_ENTRY}\n`);
    return 'created .gitignore (.pgq/)';
  }
  const text = readFileSync(path, 'utf8');
  // Any spelling git reads as the same folder at the root counts as already there.
  const present = text.split(/\r?\n/).some((line) => ['.pgq', '.pgq/', '/.pgq', '/.pgq/'].includes(line.trim()));
  if (present) return 'kept    .gitignore (has .pgq/)';
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  // A blank line between the user's rules and pgq's block.
  const gap = text.length === 0 ? '' : text.endsWith('\n') ? newline : newline + newline;
  writeFileSync(path, `${text}${gap}# pgq dev: the embedded PostgreSQL's data${newline}${GITIGNORE_ENTRY}${newline}`);
  return 'updated .gitignore (added .pgq/)';
}

/** The package.json of the project, parsed, with how it was indented; undefined when there is none or it does not parse. */
function readPackageJson(root: string): { json: Record<string, unknown>; indent: string; text: string } | undefined {
  const path = join(root, 'package.json');
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  try {
    const json = JSON.parse(text) as unknown;
    if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
    return { json: json as Record<string, unknown>, indent: /^[ \t]+(?=")/m.exec(text)?.[0] ?? '  ', text };
  } catch {
    return undefined;
  }
}

/**
 * The compiler options that check the scaffold and the generated code as tsx runs them.
 * Relative imports carry `.js` (the generated code's style), which both choices accept. An
 * ES module project gets Node's own rules (nodenext). In a CommonJS project nodenext would
 * treat every import of pgqueuer (an ES module package) as a require() and reject it, while
 * tsx converts the files as it loads them: "preserve" with bundler resolution checks the
 * code as written and leaves the module format to tsx.
 */
function tsconfigFor(esm: boolean): object {
  return {
    compilerOptions: {
      target: 'es2022',
      module: esm ? 'nodenext' : 'preserve',
      moduleResolution: esm ? 'nodenext' : 'bundler',
      strict: true,
      esModuleInterop: true,
      skipLibCheck: true,
      // tsx runs the TypeScript as it is; tsc only checks it (`npx tsc`).
      noEmit: true,
    },
    include: ['src', 'pgq.config.ts'],
  };
}

/** A tsconfig.json when the project has none. */
export function ensureTsconfig(root: string): string {
  const path = join(root, 'tsconfig.json');
  if (existsSync(path)) return 'kept    tsconfig.json (exists)';
  const esm = readPackageJson(root)?.json.type === 'module';
  writeFileSync(path, `${JSON.stringify(tsconfigFor(esm), null, 2)}\n`);
  return `created tsconfig.json (${esm ? 'ES modules' : 'CommonJS'} project)`;
}

/** npm scripts for the dev loop; a name already taken keeps its script. */
export const INIT_SCRIPTS: Readonly<Record<string, string>> = {
  generate: 'pgq generate',
  dev: 'pgq dev',
  worker: 'pgq run src/worker.ts',
};

/** Adds the scripts whose names are free to package.json; returns one line per outcome. */
export function addNpmScripts(root: string): string[] {
  const pkg = readPackageJson(root);
  if (!pkg) {
    const why = existsSync(join(root, 'package.json')) ? 'package.json is not a JSON object' : 'no package.json (run `npm init`)';
    return [`skipped npm scripts: ${why}`];
  }
  const scripts = pkg.json.scripts;
  if (scripts !== undefined && (scripts === null || typeof scripts !== 'object' || Array.isArray(scripts))) {
    return ['skipped npm scripts: "scripts" in package.json is not an object'];
  }
  const existing = (scripts ?? {}) as Record<string, unknown>;
  const added = Object.keys(INIT_SCRIPTS).filter((name) => !(name in existing));
  const skipped = Object.keys(INIT_SCRIPTS).filter((name) => name in existing);
  if (added.length > 0) {
    pkg.json.scripts = { ...existing, ...Object.fromEntries(added.map((name) => [name, INIT_SCRIPTS[name]])) };
    const newline = pkg.text.includes('\r\n') ? '\r\n' : '\n';
    writeFileSync(join(root, 'package.json'), `${JSON.stringify(pkg.json, null, pkg.indent).replaceAll('\n', newline)}${newline}`);
  }
  const lines = added.map((name) => `added   npm script "${name}": ${INIT_SCRIPTS[name]}`);
  for (const name of skipped) lines.push(`kept    npm script "${name}" (exists; pgq's would be: ${INIT_SCRIPTS[name]})`);
  return lines;
}
