import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodegenError } from './errors.js';

/** templates/ sits at the package root: two levels up from dist/codegen, one from codegen/. */
function templatesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'templates');
    if (existsSync(join(candidate, 'client.ts.tpl'))) return candidate;
    dir = dirname(dir);
  }
  throw new CodegenError('pgqueuer\'s templates/ folder is missing from the installation; reinstall pgqueuer');
}

const cache = new Map<string, string>();

/** Fills `{{name}}` placeholders of a template; a placeholder without a value is a bug, so it throws. */
export function render(template: string, values: Record<string, string>): string {
  let text = cache.get(template);
  if (text === undefined) {
    text = readFileSync(join(templatesDir(), template), 'utf8');
    cache.set(template, text);
  }
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new CodegenError(`template ${template} needs a value for {{${key}}}`);
    return value;
  });
}
