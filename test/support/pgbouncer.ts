import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { until } from './wait.js';

/**
 * A PgBouncer of the test's own, in front of the test database, pooling by transaction (the
 * mode that breaks session state: prepared statements, LISTEN). Started on a free port with
 * its configuration in a temp dir; `stop()` ends it and removes the dir. Works for the
 * embedded server and a DATABASE_URL server alike: it logs in with the URL's user and password.
 */
export interface PgBouncer {
  readonly port: number;
  /** `databaseUrl` with its host and port replaced by PgBouncer's (same database and user). */
  url(databaseUrl: string): string;
  /** What PgBouncer wrote to stderr, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /** Server connections per database and user; small, as in production. Default 5. */
  poolSize?: number;
}

/** The pgbouncer binary: $PGBOUNCER, the Debian package's path, or one on the PATH; undefined when none. */
export function pgbouncerBinary(): string | undefined {
  const candidates = [
    process.env.PGBOUNCER,
    '/usr/sbin/pgbouncer',
    '/usr/bin/pgbouncer',
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'pgbouncer')),
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there: try the next
    }
  }
  return undefined;
}

export async function startPgBouncer(serverUrl: string, options: PgBouncerOptions = {}): Promise<PgBouncer> {
  const binary = pgbouncerBinary();
  if (!binary) throw new Error('no pgbouncer binary (apt-get install pgbouncer, or set PGBOUNCER)');
  const server = new URL(serverUrl);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pgq-pgbouncer-'));
  // PgBouncer refuses to run as root; it drops to `user` itself, which must read the config.
  const root = process.getuid?.() === 0;
  if (root) chmodSync(dir, 0o755);
  const login = [
    `host=${quoted(server.hostname || '127.0.0.1')}`,
    `port=${server.port || 5432}`,
    ...(server.username ? [`user=${quoted(decodeURIComponent(server.username))}`] : []),
    ...(server.password ? [`password=${quoted(decodeURIComponent(server.password))}`] : []),
  ].join(' ');
  const config = [
    '[databases]',
    // Any database name a client asks for, on the test server, logged in as the URL's user.
    `* = ${login}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    // Clients are not checked; PgBouncer logs in to the server with the user above.
    'auth_type = any',
    'pool_mode = transaction',
    `default_pool_size = ${options.poolSize ?? 5}`,
    'max_client_conn = 500',
    // node-postgres sends none of these today; a client library that does must not be refused.
    'ignore_startup_parameters = extra_float_digits,options',
    ...(root ? ['user = nobody'] : []),
    '',
  ].join('\n');
  const configPath = join(dir, 'pgbouncer.ini');
  writeFileSync(configPath, config, { mode: 0o644 });

  const child = spawn(binary, [configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));

  const url = (databaseUrl: string): string => {
    const u = new URL(databaseUrl);
    u.hostname = '127.0.0.1';
    u.port = String(port);
    return u.toString();
  };
  const stop = async (): Promise<void> => {
    if (!gone) {
      child.kill('SIGTERM'); // immediate shutdown: clients are cut
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await until(async () => {
      if (gone) throw new Error(`pgbouncer exited: ${log.trim()}`);
      return answers(url(serverUrl));
    }, 10_000, `pgbouncer on port ${port} to answer`);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return { port, url, log: () => log, stop };
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A value in PgBouncer's connection-string syntax. */
function quoted(value: string): string {
  return /^[A-Za-z0-9_.\-/]+$/.test(value) ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
