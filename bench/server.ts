import { startEmbeddedPostgres } from '../src/postgres/embedded.js';

export interface BenchServer {
  url: string;
  /** An embedded server started for this run, or the one DATABASE_URL names. */
  source: 'embedded' | 'DATABASE_URL';
  /** user@host:port/database, without the password. */
  address: string;
  /** How the server was obtained, for the report. */
  description: string;
  stop(): Promise<void>;
}

/**
 * Settings of the embedded server. Larger shared_buffers and max_wal_size than PostgreSQL's
 * defaults so that a million-job backlog fits in memory and seeding does not force
 * checkpoints mid-run; fsync stays off as in the project's embedded server (so commits are
 * cheap here: on real disks, designs with a commit per job lose more than they do here).
 */
const EMBEDDED_SETTINGS = { shared_buffers: '512MB', max_wal_size: '4GB' };

/** The server from DATABASE_URL, or an embedded PostgreSQL started for this run. */
export async function startServer(): Promise<BenchServer> {
  const external = process.env.DATABASE_URL;
  if (external) {
    return { url: external, source: 'DATABASE_URL', address: redact(external), description: `DATABASE_URL (${redact(external)})`, stop: async () => {} };
  }
  const server = await startEmbeddedPostgres({ settings: EMBEDDED_SETTINGS });
  const settings = Object.entries({ fsync: 'off', ...EMBEDDED_SETTINGS })
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return {
    url: server.url,
    source: 'embedded',
    address: redact(server.url),
    description: `embedded PostgreSQL started with ${settings}`,
    stop: () => server.stop(),
  };
}

/** A connection URL as user@host:port/database: never the password. */
export function redact(url: string): string {
  const u = new URL(url);
  const host = u.host || u.searchParams.get('host') || 'localhost';
  return `${u.username ? `${decodeURIComponent(u.username)}@` : ''}${host}${u.pathname}`;
}
