import { startEmbeddedPostgres } from '../src/postgres/embedded.js';

export interface BenchServer {
  url: string;
  /** How the server was obtained, for the results file. */
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
    return { url: external, description: 'DATABASE_URL', stop: async () => {} };
  }
  const server = await startEmbeddedPostgres({ settings: EMBEDDED_SETTINGS });
  const settings = Object.entries({ fsync: 'off', ...EMBEDDED_SETTINGS })
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return { url: server.url, description: `embedded PostgreSQL (${settings})`, stop: () => server.stop() };
}
