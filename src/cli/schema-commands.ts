import type { Command } from 'commander';
import { install, uninstall, verify } from '../admin.js';
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
    .description('drop the pgqueuer schema with every job, log row and schedule in it')
    .action(async () => {
      const options = globals();
      await uninstall(connectionOf(options), { schema: schemaOf(options) });
      console.log(`dropped schema "${schemaOf(options) ?? 'pgqueuer'}"`);
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
