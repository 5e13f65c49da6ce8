import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { importModule } from '../load-module.js';
import { isJobsSchema } from '../schema/define-jobs.js';
import { checkWaitingPayloads, type WaitingPayloadsReport, type WaitingVersion } from '../schema/waiting-payloads.js';
import { integerAtLeast } from './arguments.js';
import { ExitCode, withQueue, type GlobalOptions } from './context.js';
import { printable, visibleControls } from './terminal-text.js';

interface SchemaCheckOptions {
  config?: string;
  schema?: string;
  sample: number;
  cap: number;
  json?: boolean;
}

/** `pgq schema check`: would workers built with this schema file run the jobs waiting now? */
export function registerSchemaCheckCommand(program: Command, globals: () => GlobalOptions): void {
  const schema = program.commands.find((c) => c.name() === 'schema') ?? program.command('schema').description('payload schemas and the jobs waiting in the queue');
  schema
    .command('check')
    .description('parse the waiting jobs of other payload versions with the schema file (after upcasting); exit 1 when any would fail')
    .option('--config <path>', 'config file (default: pgq.config.ts in the working directory, if any)')
    .option('--schema <path>', 'schema file (default: src/jobs.schema.ts)')
    .option('--sample <n>', 'payloads parsed per job and version at most', integerAtLeast(1), 1_000)
    .option('--cap <n>', 'waiting jobs counted per job at most', integerAtLeast(1), 100_000)
    .option('--json', 'print JSON instead of text')
    .action(async (opts: SchemaCheckOptions) => {
      const jobs = await loadJobsSchema(opts);
      const report = await withQueue(globals(), (pgq) => checkWaitingPayloads(pgq, jobs, { sample: opts.sample, countCap: opts.cap }));
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      else printReport(report);
      if (report.failing > 0) throw new ExitCode(1);
    });
}

/** The schema file, found as `pgq generate` finds it. */
export async function loadJobsSchema(opts: Pick<SchemaCheckOptions, 'config' | 'schema'>) {
  // The generator's config resolution, without the generator (no ts-morph needed).
  const { resolveConfig } = await import('../../codegen/config.js');
  const config = await resolveConfig({ config: opts.config, schema: opts.schema }, process.cwd());
  const module = (await importModule(config.schema)) as { default?: unknown };
  if (!isJobsSchema(module.default)) throw new ConfigError(`${config.schema} must \`export default defineJobs({ ... })\``);
  return module.default;
}

function readAs(version: WaitingVersion): string {
  if (version.readAs === 'current') return 'current';
  if (version.readAs === 'unstamped') return 'no fingerprint: read as current';
  if (version.readAs === 'unknown') return 'unknown to this schema';
  return `previous[${version.readAs.previous}], upcast`;
}

function printReport(report: WaitingPayloadsReport): void {
  let waiting = 0;
  for (const entry of report.entrypoints) {
    const total = entry.versions.reduce((n, v) => n + v.count, 0);
    waiting += total;
    if (total === 0) continue;
    console.log(visibleControls(`${entry.entrypoint}: ${entry.capped ? `more than ${report.countCap}` : total} waiting (current version ${entry.fingerprint})`));
    for (const v of entry.versions) {
      const statuses = Object.entries(v.byStatus).map(([status, n]) => `${n} ${status}`).join(', ');
      const verdict =
        v.readAs === 'current'
          ? ''
          : v.failing > 0
            ? ` — ${v.failing} of ${v.checked} checked would fail`
            : ` — ${v.checked === v.count ? 'all' : `${v.checked} of ${v.count}`} checked fit`;
      console.log(visibleControls(`  ${v.fingerprint ?? '(none)'} (${readAs(v)}): ${statuses}${verdict}`));
      for (const example of v.examples) {
        const issues = example.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
        console.log(`    job ${example.jobId}: ${printable(issues)}${example.unknownVersion ? ' (a worker with this schema gives it back, then fails it)' : ''}`);
      }
    }
  }
  if (waiting === 0) console.log('no jobs are waiting');
  if (report.sampled) {
    console.log(`(a sample: at most ${report.sample} payloads checked per job and version, ${report.countCap} waiting jobs counted per job)`);
  }
  console.log(
    report.failing > 0
      ? `${report.failing} waiting job${report.failing === 1 ? '' : 's'} would fail with this schema: add their payload shape to "previous" with an upcaster, or keep workers that know it until they are done`
      : 'every waiting job checked fits this schema',
  );
}
