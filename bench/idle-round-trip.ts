/**
 * What an idle backend costs a round trip: a one-row INSERT timed back to back and after
 * gaps of 1, 5 and 10 ms (medians of 200), on DATABASE_URL or an embedded server. Explains
 * why enqueue-to-start latency, two round trips to idle backends, is above Redis's.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/idle-round-trip.ts
 */
import pg from 'pg';
import { startServer } from './server.js';

const server = await startServer();
const client = new pg.Client(server.url);
await client.connect();
const table = `idle_round_trip_${process.pid}`;
try {
  // A plain table, not a temporary one: its commits flush WAL, as an enqueue's do.
  await client.query(`CREATE TABLE ${table} (x int)`);
  for (const gapMs of [0, 1, 5, 10]) {
    const samples: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await client.query(`INSERT INTO ${table} VALUES (1)`);
      samples.push(performance.now() - t0);
      if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    samples.sort((a, b) => a - b);
    console.log(`gap ${String(gapMs).padStart(2)} ms: insert round trip p50 ${samples[100]!.toFixed(3)} ms`);
  }
} finally {
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.end();
  await server.stop();
}
