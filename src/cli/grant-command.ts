import type { Command } from 'commander';
import { grant, grantSql, type GrantRoles } from '../admin.js';
import { connectionOf, schemaOf, type GlobalOptions } from './context.js';

/** `pgq grant`: the privileges of a worker, a producer and a reader role, in one command. */
export function registerGrantCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('grant')
    .description('give existing roles what a worker, a producer or a reader needs (idempotent; run again after an upgrade)')
    .option('--worker <role>', 'runs jobs: reads and writes every pgqueuer table')
    .option('--producer <role>', 'enqueues, cancels and waits for jobs; reads no payload or headers')
    .option('--reader <role>', 'dashboards and pgq jobs: reads everything, changes nothing')
    .option('--print', 'print the SQL instead of running it')
    .action(async (opts: GrantRoles & { print?: boolean }) => {
      const roles: GrantRoles = {};
      for (const kind of ['worker', 'producer', 'reader'] as const) if (opts[kind] !== undefined) roles[kind] = opts[kind];
      const options = globals();
      if (opts.print) {
        for (const statement of grantSql(roles, { schema: schemaOf(options) })) console.log(`${statement};`);
        return;
      }
      const statements = await grant(connectionOf(options), roles, { schema: schemaOf(options) });
      console.log(`granted: ${statements.length} statements (${Object.entries(roles).map(([kind, role]) => `${kind} ${role}`).join(', ')})`);
    });
}
