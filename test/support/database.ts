import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/postgres/embedded.js';

/**
 * The test database harness. The server is `PGQ_TEST_DATABASE_URL` or `DATABASE_URL` when
 * set (test/run.ts sets the former after starting one embedded server for the whole run);
 * otherwise, when a test file is run on its own, this process starts its own embedded server.
 * Every test file gets a database of its own, so files run in parallel without interfering.
 */
let embedded: Promise<EmbeddedPostgres> | undefined;

export async function serverUrl(): Promise<string> {
  const url = process.env.PGQ_TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (url) return url;
  embedded ??= startEmbeddedPostgres();
  return (await embedded).url;
}

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  /** A pool on the test database, for assertions by SQL. */
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const server = await serverUrl();
  const name = `pgq_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(server, name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => {}); // tests kill backends on purpose
  return {
    url,
    name,
    pool,
    async drop() {
      await pool.end();
      const client = new pg.Client({ connectionString: server });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
      if (embedded) {
        const server = await embedded;
        embedded = undefined;
        await server.stop();
      }
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A pool that keeps the text of every statement sent through it (by any of its clients). */
export function recordingPool(url: string, max = 4): { pool: pg.Pool; statements: string[] } {
  const statements: string[] = [];
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('connect', (client) => {
    const original = client.query.bind(client);
    client.query = ((config: { text?: string } | string, ...rest: unknown[]) => {
      statements.push(typeof config === 'string' ? config : (config.text ?? ''));
      return (original as (...a: unknown[]) => unknown)(config, ...rest);
    }) as typeof client.query;
  });
  return { pool, statements };
}
