import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PgQueuerError } from '../errors.js';

/**
 * pgqueuer's version, from its package.json, read when asked: this file runs from src/cli/
 * (through tsx) and from dist/src/cli/ (installed), at different depths below the package
 * root, so the nearest package.json named "pgqueuer" above it is the one.
 */
export function packageVersion(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'pgqueuer' && typeof manifest.version === 'string') return manifest.version;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new PgQueuerError("pgqueuer's package.json is missing from the installation; reinstall pgqueuer");
    dir = parent;
  }
}
