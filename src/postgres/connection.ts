import pg from 'pg';
import { ConfigError, ConnectionError } from '../errors.js';

/** A connection URL, a `pg` pool configuration, or nothing (then `DATABASE_URL`, else `PG*`). */
export type ConnectionInput = string | pg.PoolConfig | undefined;

const DEFAULTS: pg.PoolConfig = {
  max: 10,
  // An unreachable host must fail in seconds, not hang on the OS's TCP timeout.
  connectionTimeoutMillis: 5_000,
  idleTimeoutMillis: 30_000,
  keepAlive: true,
  application_name: 'pgqueuer',
};

export function poolConfig(input: ConnectionInput): pg.PoolConfig {
  if (typeof input === 'string') return { ...DEFAULTS, connectionString: checkedUrl(input, 'the connection URL') };
  if (input) {
    if (typeof input !== 'object') throw new ConfigError(`the connection must be a URL or a pg pool configuration, got ${typeof input}`);
    if (input.connectionString !== undefined) checkedUrl(input.connectionString, 'connectionString');
    return { ...DEFAULTS, ...input };
  }
  const url = process.env.DATABASE_URL;
  // Without a URL, pg reads PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE itself.
  return url ? { ...DEFAULTS, connectionString: checkedUrl(url, 'DATABASE_URL') } : { ...DEFAULTS };
}

/** Whether to prepare statements: the option, else `PGQ_PREPARED_STATEMENTS`, else yes. */
export function preparedStatementsSetting(option: boolean | undefined): boolean {
  if (option !== undefined) return option;
  const env = process.env.PGQ_PREPARED_STATEMENTS?.trim().toLowerCase();
  if (!env) return true;
  if (['false', '0', 'off', 'no'].includes(env)) return false;
  if (['true', '1', 'on', 'yes'].includes(env)) return true;
  throw new ConfigError(`PGQ_PREPARED_STATEMENTS must be true or false, got ${JSON.stringify(process.env.PGQ_PREPARED_STATEMENTS)}`);
}

/**
 * The connection LISTEN uses: the option, else `PGQ_LISTEN_URL`, else undefined (the main
 * connection's). A separate one exists for poolers in transaction mode, where a LISTEN on a
 * pooled session hears nothing.
 */
export function listenConfig(option: string | pg.ClientConfig | undefined): pg.ClientConfig | undefined {
  if (option !== undefined) return listenClientConfig(option, 'listenConnection');
  const env = process.env.PGQ_LISTEN_URL;
  return env ? listenClientConfig(env, 'PGQ_LISTEN_URL') : undefined;
}

function listenClientConfig(input: string | pg.ClientConfig, what: string): pg.ClientConfig {
  const { max: _max, idleTimeoutMillis: _idle, ...client } = typeof input === 'string'
    ? { ...DEFAULTS, connectionString: checkedUrl(input, what) }
    : poolConfig(input as pg.PoolConfig);
  return client;
}

/** pg parses the URL with `new URL` and throws a bare TypeError; say which setting it was. */
function checkedUrl(url: string, what: string): string {
  // A socket directory ("/var/run/postgresql") is not a URL, and pg takes it as one.
  if (url.startsWith('/')) return url;
  try {
    new URL(url);
  } catch {
    throw new ConfigError(`${what} is not a valid URL (postgres://user:password@host:port/database): ${describeUnparsable(url)}`);
  }
  return url;
}

/** A URL that did not parse, shown without what may be its password. */
function describeUnparsable(url: string): string {
  const at = url.lastIndexOf('@');
  return JSON.stringify(at === -1 ? url : `…${url.slice(at)}`);
}

/** Where a configuration points, for error messages (never includes the password). */
export function describeTarget(config: pg.ClientConfig): string {
  if (config.connectionString) {
    try {
      const url = new URL(config.connectionString);
      url.password = '';
      url.username = url.username ? url.username : '';
      return `${url.protocol}//${url.username ? `${url.username}@` : ''}${url.host}${url.pathname}`;
    } catch {
      return 'the configured connection string';
    }
  }
  const host = config.host ?? process.env.PGHOST ?? 'localhost';
  const port = config.port ?? process.env.PGPORT ?? 5432;
  const database = config.database ?? process.env.PGDATABASE ?? config.user ?? process.env.PGUSER ?? '';
  return `postgres://${host}:${port}/${database}`;
}

/** The role a configuration logs in as, when it says (else pg falls back to the OS user). */
export function configuredUser(config: pg.ClientConfig): string | undefined {
  if (config.user) return config.user;
  if (config.connectionString) {
    try {
      const user = decodeURIComponent(new URL(config.connectionString).username);
      if (user) return user;
    } catch {
      // not a URL (a socket directory): no user in it
    }
  }
  return process.env.PGUSER || undefined;
}

const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  '28P01', // invalid_password
  '28000', // invalid_authorization_specification (pg_hba)
  '3D000', // invalid_catalog_name: no such database
  '57P03', // cannot_connect_now: server starting up or shutting down
  '53300', // too_many_connections: max_connections or the role's connection limit reached
  // A connection lost while in use:
  'EPIPE',
  '57P01', // admin_shutdown: server stopping, or pg_terminate_backend
  '57P02', // crash_shutdown: another backend crashed, the server is resetting
]);

/** True when `err` means "could not get a working connection", as opposed to a query error. */
export function isConnectionFailure(err: unknown): boolean {
  if (err instanceof ConnectionError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: string }).code;
  if (code && CONNECT_FAILURES.has(code)) return true;
  if (code?.startsWith('08')) return true; // connection_exception class
  // "The server does not support SSL connections": the URL asks for SSL (sslmode=require).
  // pg's own: a handshake or connection timeout, a socket closed under a query, a client
  // already broken, a pool that could not open a connection in time.
  return /timeout expired|Connection terminated|connect ECONNREFUSED|does not support SSL|not queryable|timeout exceeded when trying to connect/i.test(err.message);
}

export function connectionError(err: unknown, config: pg.ClientConfig): ConnectionError {
  // Already typed by the driver: wrapping again would repeat the message.
  if (err instanceof ConnectionError) return err;
  const target = describeTarget(config);
  return new ConnectionError(`cannot connect to PostgreSQL at ${target}: ${failureReason(err)}`, target, { cause: err });
}

/** A driver error in a few words: its message, else its code. */
export function failureReason(err: unknown): string {
  return err instanceof Error ? err.message || (err as { code?: string }).code || err.name : String(err);
}
