import type { Command } from 'commander';
import { PgQueuerError } from '../errors.js';
import { ExitCode } from './context.js';
import { visibleControls } from './terminal-text.js';

interface GenerateCliOptions {
  config?: string;
  schema?: string;
  out?: string;
  handlers?: string;
  importFrom?: string;
  check?: boolean;
  base?: string;
  watch?: boolean;
}

type Report = Awaited<ReturnType<typeof import('../../codegen/generate.js').generate>>;

/** Each changed payload, each change, and whether queued jobs of the old shape still run. */
function printPayloadChanges(report: Report): void {
  for (const job of report.payloadChanges) {
    const how = job.upcastFrom !== undefined ? `; jobs of the old shape are upcast (previous[${job.upcastFrom}])` : '';
    console.log(visibleControls(`payload of "${job.job}" changed (${job.from} → ${job.to})${how}`));
    // Descriptions change the fingerprint too; so did pgqueuer's formula for it, once.
    if (job.changes.length === 0) console.log('  no change to the payloads it accepts');
    for (const c of job.changes) {
      const verdict = c.compatibility === 'compatible' ? 'compatible' : job.upcastFrom !== undefined ? 'breaking, covered by the upcaster' : 'BREAKING';
      console.log(visibleControls(`  ${c.path || '(payload)'}: ${c.change} (${verdict})`));
    }
  }
  for (const name of report.removedJobs) {
    console.log(visibleControls(`job "${name}" was removed: jobs of it still queued will not run (\`pgq schema check\` counts them)`));
  }
}

function printBreaking(report: Report, log: (line: string) => void): void {
  for (const c of report.breaking) {
    log(visibleControls(`breaking change in job "${c.job}", field "${c.path || '(payload)'}": ${c.change}`));
  }
  if (report.breaking.length > 0) {
    log('jobs already queued with the old payload would fail: list the old payload in "previous" with an upcaster, or make the change compatible (optional, or with a default)');
  }
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
    .option('--check', 'write nothing; exit 1 naming each file that is out of date, or each breaking payload change no upcaster covers')
    .option('--base <manifest>', 'compare payloads with this manifest (e.g. the base branch\'s) instead of the one on disk')
    .option('--watch', 'keep running: regenerate when the schema file or a file it imports changes')
    .action(async (opts: GenerateCliOptions) => {
      if (opts.check && opts.watch) throw new PgQueuerError('--check and --watch cannot be combined');
      if (opts.watch) return watchCommand(opts);
      // Loaded only here: workers and producers never load the generator or ts-morph.
      const { generate } = await import('../../codegen/generate.js');
      const { check: _check, watch: _watch, ...flags } = opts;
      const report = await generate({ ...flags, ...(opts.check ? { check: true } : {}) });
      // Hints and paths come from the user's schema file and options.
      for (const hint of report.hints) console.error(visibleControls(`note: ${hint}`));
      printPayloadChanges(report);
      if (opts.check) {
        const stale = [...report.changed, ...report.created];
        for (const file of stale) console.error(visibleControls(`out of date: ${file}`));
        if (stale.length > 0) console.error('run `npx pgq generate` to update');
        printBreaking(report, console.error);
        if (stale.length > 0 || report.breaking.length > 0) throw new ExitCode(1);
        console.log('generated files are up to date');
        return;
      }
      printBreaking(report, (line) => console.error(`warning: ${line}`));
      for (const file of report.changed) console.log(visibleControls(`wrote ${file}`));
      for (const file of report.created) console.log(visibleControls(`created ${file}`));
      if (report.changed.length === 0 && report.created.length === 0) console.log('generated files are up to date');
    });
}

/** Runs until Ctrl-C (or SIGTERM); a schema that fails is reported, not fatal. */
async function watchCommand(opts: GenerateCliOptions): Promise<void> {
  const { watchGenerate } = await import('../../codegen/watch.js');
  const { check: _check, watch: _watch, ...flags } = opts;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await watchGenerate(flags, {
      signal: stop.signal,
      // Paths, hints and error messages come from the user's schema file and options.
      print: (line) => console.log(visibleControls(line)),
      printError: (line) => console.error(visibleControls(line)),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
