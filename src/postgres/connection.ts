import pg from 'pg';
import { ConnectionError } from '../errors.js';

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
  if (typeof input === 'string') return { ...DEFAULTS, connectionString: input };
  if (input) return { ...DEFAULTS, ...input };
  const url = process.env.DATABASE_URL;
  // Without a URL, pg reads PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE itself.
  return url ? { ...DEFAULTS, connectionString: url } : { ...DEFAULTS };
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
  '57P03', // cannot_connect_now: server starting up
]);

/** True when `err` means "could not get a working connection", as opposed to a query error. */
export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: string }).code;
  if (code && CONNECT_FAILURES.has(code)) return true;
  if (code?.startsWith('08')) return true; // connection_exception class
  return /timeout expired|Connection terminated|connect ECONNREFUSED/i.test(err.message);
}

export function connectionError(err: unknown, config: pg.ClientConfig): ConnectionError {
  const target = describeTarget(config);
  const reason = err instanceof Error ? err.message || (err as { code?: string }).code || err.name : String(err);
  return new ConnectionError(`cannot connect to PostgreSQL at ${target}: ${reason}`, target, { cause: err });
}
