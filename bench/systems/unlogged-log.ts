import pg from 'pg';

/**
 * Bench only: pgqueuer's log as an UNLOGGED table (no WAL for success records; emptied by a
 * database crash), to measure what the durable log costs a drain. pgqueuer itself never does this.
 */
export async function makeLogUnlogged(url: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await client.query('ALTER TABLE pgqueuer.job_log SET UNLOGGED');
  } finally {
    await client.end();
  }
}
