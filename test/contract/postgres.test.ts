import { after, before } from 'node:test';
import type pg from 'pg';
import { openPostgres } from '../../src/postgres/open.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { portContract } from './port-contract.js';

let db: TestDatabase;
let schemas = 0;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

/**
 * "Time passes by `ms`": every stored time the engine compares with now() moves back by `ms`,
 * so to the engine (whose clock cannot be moved) that much more time has gone by.
 */
async function advance(pool: pg.Pool, schema: string, ms: number): Promise<void> {
  const s = `"${schema}"`;
  const by = 'make_interval(secs => $1::double precision / 1000.0)';
  await pool.query(
    `WITH jobs AS (
       UPDATE ${s}.jobs SET execute_after = execute_after - ${by}, heartbeat = heartbeat - ${by},
         picked_at = picked_at - ${by}, created_at = created_at - ${by}, updated_at = updated_at - ${by}
       RETURNING 1
     ), log AS (
       UPDATE ${s}.job_log SET finished_at = finished_at - ${by}, picked_at = picked_at - ${by}, created_at = created_at - ${by}
       RETURNING 1
     ), buckets AS (
       UPDATE ${s}.rate_limits SET refreshed_at = refreshed_at - ${by} RETURNING 1
     ), schedules AS (
       UPDATE ${s}.schedules SET next_run = next_run - ${by}, last_run = last_run - ${by} RETURNING 1
     ), workers AS (
       UPDATE ${s}.workers SET heartbeat = heartbeat - ${by} RETURNING 1
     )
     SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM log) + (SELECT count(*) FROM buckets)
          + (SELECT count(*) FROM schedules) + (SELECT count(*) FROM workers) AS shifted`,
    [ms],
  );
}

portContract({
  name: 'PostgreSQL',
  async open() {
    // A schema of its own per test: a fresh, empty queue in the file's database.
    const schema = `contract_${++schemas}`;
    const backend = await openPostgres(db.url, { schema, install: true });
    return {
      backend,
      advance: (ms) => advance(db.pool, schema, ms),
      close: () => backend.close(),
    };
  },
});
