import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { install, uninstall, verify } from '../admin.js';
import { ConfigError } from '../errors.js';
import { connectionOf, ExitCode, schemaOf, type GlobalOptions } from './context.js';
import { visibleControls } from './terminal-text.js';

export function registerSchemaCommands(program: Command, globals: () => GlobalOptions): void {
  const migrate = async (verb: string): Promise<void> => {
    const options = globals();
    const report = await install(connectionOf(options), { schema: schemaOf(options) });
    console.log(
      report.applied.length === 0
        ? `schema "${report.schema}" is up to date (migration ${report.version})`
        : `${verb} schema "${report.schema}": applied migration ${report.applied.join(', ')}; now at ${report.version}`,
    );
    for (const object of report.repaired) console.log(`re-created ${object}, which was missing`);
  };

  program
    .command('install')
    .description('create the pgqueuer schema (idempotent; safe from many processes at once)')
    .action(() => migrate('installed'));

  program
    .command('upgrade')
    .description('apply pending migrations to an installed schema, and re-create what `pgq verify` finds missing')
    .action(() => migrate('upgraded'));

  program
    .command('uninstall')
    .description("drop the pgqueuer schema with every job, log row and schedule in it (refuses a schema that is not pgqueuer's; asks first)")
    .option('--yes', 'do not ask')
    .option('--force', "also drop tables in the schema that are not pgqueuer's, and what depends on its tables")
    .action(async (opts: { yes?: boolean; force?: boolean }) => {
      const options = globals();
      const report = await uninstall(connectionOf(options), {
        schema: schemaOf(options),
        force: opts.force === true,
        // Asked only once uninstall found the schema to be pgqueuer's: a refusal says more than a question.
        confirm: opts.yes ? undefined : ({ schema, otherTables }) => confirmDrop(schema, otherTables),
      });
      if (!report.existed) console.log(`schema "${report.schema}" does not exist: nothing to uninstall`);
      else if (!report.dropped) console.log('nothing dropped');
      else {
        console.log(`dropped schema "${report.schema}" with every job in it`);
        if (report.otherTables.length > 0) console.log(visibleControls(`and tables that were not pgqueuer's: ${report.otherTables.join(', ')}`));
      }
    });

  program
    .command('verify')
    .description('check that the schema is installed, up to date and complete (exit 1 naming each problem)')
    .action(async () => {
      const options = globals();
      const report = await verify(connectionOf(options), { schema: schemaOf(options) });
      if (report.ok) {
        console.log(`schema "${report.schema}" is installed and up to date (migration ${report.installedVersion})`);
        return;
      }
      // Problems can name what the database holds (a migration newer than this package).
      for (const problem of report.problems) console.error(visibleControls(problem));
      throw new ExitCode(1);
    });
}

/** Asks on a terminal; without one (a script, CI) refuses, pointing at --yes. */
async function confirmDrop(schema: string, otherTables: readonly string[]): Promise<boolean> {
  const what = `schema "${schema}" and every job in it${otherTables.length > 0 ? `, with tables that are not pgqueuer's (${otherTables.join(', ')})` : ''}`;
  if (!process.stdin.isTTY) throw new ConfigError(`uninstall would drop ${what}: pass --yes to confirm`);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(visibleControls(`drop ${what}? [y/N] `))).trim());
  } finally {
    rl.close();
  }
}
