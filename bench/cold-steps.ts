/**
 * What the JavaScript on an idle enqueue-to-start path costs when it runs cold, as it does after
 * idleness: each step after 10 ms of doing nothing, the steps taking turns sample by sample,
 * medians of 200 in µs. Beside them, one `SELECT 1` through pgqueuer's driver (its kept client)
 * and through a pg-pool checkout, on DATABASE_URL or an embedded server.
 *
 *   npx tsx bench/cold-steps.ts
 */
import pg from 'pg';
import { encodeJobs, type EncodeRules } from '../src/encode.js';
import { silentLogger } from '../src/logger.js';
import { PgDriver } from '../src/postgres/pg-driver.js';
import { handOffKey } from '../src/port/hand-off-key.js';
import { startServer } from './server.js';

const SAMPLES = 200;
const GAP_MS = 10;

const rules: EncodeRules = { maxPayloadBytes: 1 << 20, payloadCheck: () => undefined, parentFailure: () => undefined };
// A hand-off notification as the enqueue's statement builds it (statements/hand-off.ts).
const notification = JSON.stringify({
  t: 'assigned', k: handOffKey('0'.repeat(32), 123_456), b: 9,
  j: { id: 123_456, entrypoint: 'bench', priority: 0, payload: { seq: 1 }, headers: {}, attempt: 1, rescues: 0, snoozes: 0, createdAtMs: Date.now(), cancelRequested: false, queuedMs: 0 },
});

const server = await startServer();
const pool = new pg.Pool({ connectionString: server.url, max: 2 });
const driver = new PgDriver(pool, { ownsPool: true, preparedStatements: true, logger: silentLogger });
const plainPool = new pg.Pool({ connectionString: server.url, max: 2 });
const checkout = () =>
  new Promise<pg.PoolClient>((resolve, reject) => plainPool.connect((err, client) => (err ? reject(err) : resolve(client!))));
const selectOne = { name: 'cold_select_1', text: 'SELECT 1' };

const steps: Array<[string, () => unknown]> = [
  ['encode one job, { seq: 1 } (encodeJobs)', () => encodeJobs([{ entrypoint: 'bench', payload: { seq: 1 } }], rules, () => 'payload')],
  ['take a client from pg-pool and give it back', async () => (await checkout()).release()],
  ["a hand-off key (sha256, as the worker checks one)", () => handOffKey('0'.repeat(32), 123_456)],
  ['parse a hand-off notification (JSON.parse)', () => JSON.parse(notification)],
  ["SELECT 1 through pgqueuer's driver (its kept client)", () => driver.query(selectOne)],
  [
    'SELECT 1 through a pg-pool checkout',
    async () => {
      const client = await checkout();
      await client.query(selectOne);
      client.release();
    },
  ],
];

try {
  for (const [, step] of steps) await step();
  const samples = steps.map((): number[] => []);
  for (let i = 0; i < SAMPLES; i++) {
    for (const [k, [, step]] of steps.entries()) {
      await new Promise((resolve) => setTimeout(resolve, GAP_MS));
      const t0 = performance.now();
      await step();
      samples[k]!.push((performance.now() - t0) * 1000);
    }
  }
  console.log(`each step after ${GAP_MS} ms idle, p50 of ${SAMPLES} (${server.description}):`);
  steps.forEach(([label], k) => console.log(`  ${samples[k]!.sort((a, b) => a - b)[SAMPLES / 2]!.toFixed(1).padStart(7)} µs  ${label}`));
} finally {
  await driver.close();
  await plainPool.end();
  await server.stop();
}
