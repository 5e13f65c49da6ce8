import type { Command } from 'commander';
import { ExitCode } from './context.js';
import { visibleControls } from './terminal-text.js';

interface GenerateCliOptions {
  config?: string;
  schema?: string;
  out?: string;
  handlers?: string;
  importFrom?: string;
  check?: boolean;
}

export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('generate the typed client, manifest and handler stubs from the schema file')
    .option('--config <path>', 'config file (default: pgq.config.ts in the working directory, if any)')
    .option('--schema <path>', 'schema file (default: src/jobs.schema.ts)')
    .option('--out <path>', 'generated client (default: src/pgq.generated.ts)')
    .option('--handlers <dir>', 'handler stubs folder (default: src/handlers)')
    .option('--import-from <module>', 'module the generated code imports pgqueuer from (default: pgqueuer)')
    .option('--check', 'write nothing; exit 1 naming each file that is out of date')
    .action(async (opts: GenerateCliOptions) => {
      // Loaded only here: workers and producers never load the generator or ts-morph.
      const { generate } = await import('../../codegen/generate.js');
      const report = await generate(opts);
      // Hints and paths come from the user's schema file and options.
      for (const hint of report.hints) console.error(visibleControls(`note: ${hint}`));
      if (opts.check) {
        const stale = [...report.changed, ...report.created];
        for (const file of stale) console.error(visibleControls(`out of date: ${file}`));
        if (stale.length > 0) {
          console.error('run `npx pgq generate` to update');
          throw new ExitCode(1);
        }
        console.log('generated files are up to date');
        return;
      }
      for (const file of report.changed) console.log(visibleControls(`wrote ${file}`));
      for (const file of report.created) console.log(visibleControls(`created ${file}`));
      if (report.changed.length === 0 && report.created.length === 0) console.log('generated files are up to date');
    });
}
