import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { PgQueuerError } from '../errors.js';
import { addNpmScripts, ensureGitignoreEntry, ensureTsconfig } from './init-project-files.js';
import { visibleControls, visibleLines } from './terminal-text.js';

const FILES: Array<[template: string, target: string]> = [
  ['pgq.config.ts.tpl', 'pgq.config.ts'],
  ['jobs.schema.ts.tpl', 'src/jobs.schema.ts'],
  ['worker.ts.tpl', 'src/worker.ts'],
];

function initTemplates(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'templates', 'init');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new PgQueuerError("pgqueuer's templates/init folder is missing from the installation; reinstall pgqueuer");
}

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('scaffold a schema file, pgq.config.ts, a worker entry and handler stubs; add .pgq/ to .gitignore, a tsconfig.json and npm scripts (never overwrites)')
    .option('--dir <path>', 'project folder', '.')
    .action(async (opts: { dir: string }) => {
      const root = resolve(opts.dir);
      const templates = initTemplates();
      for (const [template, target] of FILES) {
        const path = join(root, target);
        if (existsSync(path)) {
          console.log(`kept    ${target} (exists)`);
          continue;
        }
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, readFileSync(join(templates, template), 'utf8'));
        console.log(`created ${target}`);
      }
      for (const line of [ensureGitignoreEntry(root), ensureTsconfig(root), ...addNpmScripts(root)]) console.log(line);
      try {
        const { generate } = await import('../../codegen/generate.js');
        const report = await generate({ cwd: root });
        for (const file of [...report.changed, ...report.created]) console.log(visibleControls(`created ${file}`));
      } catch (err) {
        const message = (err as Error).message;
        console.log(visibleLines(`could not generate the client yet: ${message}`));
        console.log(
          missingTool(message)
            ? "install the generator's tools, then run `npx pgq generate`: npm install zod && npm install --save-dev ts-morph tsx"
            : 'fix what the message above says, then run `npx pgq generate`',
        );
        return;
      }
      console.log('\nnext: edit src/jobs.schema.ts, run `npx pgq generate`, implement src/handlers/, then `npx pgq dev` (it restarts the worker on every change)');
    });
}

/** Whether generation failed for want of one of the generator's tools (not, say, a typo in the schema). */
function missingTool(message: string): boolean {
  const missing = /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
  return (missing !== undefined && /^(zod|ts-morph|tsx)(\/|$)/.test(missing)) || message.includes('needs the "tsx" package');
}
