/**
 * `npx tsx bench/groups.ts`: what fair group limits cost a claim. One database, two schemas of
 * 1,000,000 queued jobs each: one without groups, one spread over 10,000 groups (100 jobs
 * each). Then, in alternating rounds, claims of `--capacity` jobs through claim_jobs as a
 * worker sends them (the ungrouped queue; the grouped one with groupConcurrency 1, 2 and 10,
 * and without a group limit), each claim's jobs deleted after it as their completion would,
 * and each scenario's dead entries vacuumed, outside the timing. Prints what seeding each
 * queue cost per job (a grouped job's insert pays for its turn), and per claim the median and
 * p95 round trip, µs per claimed job, and the ratio to the ungrouped claim. Uses
 * DATABASE_URL's server, else an embedded one.
 *
 *   npx tsx bench/groups.ts [--jobs 1000000] [--groups 10000] [--capacity 100] [--rounds 10] [--claims 20]
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { install } from '../src/index.js';
import type { Queryable } from '../src/postgres/driver.js';
import { schemaNames } from '../src/postgres/schema-names.js';
import { claimQuery } from '../src/postgres/statements/claim.js';
import { countOption } from './count-option.js';
import { startServer } from './server.js';
import { median, percentile } from './statistics.js';

const JOBS = countOption('jobs', 1_000_000);
const GROUPS = countOption('groups', 10_000);
const CAPACITY = countOption('capacity', 100);
const ROUNDS = countOption('rounds', 10);
const CLAIMS = countOption('claims', 20);
const WORKER = '00000000-0000-0000-0000-00000000b001';

const log = (text: string): void => console.error(`[bench:groups] ${text}`);

interface Scenario {
  label: string;
  schema: 'plain' | 'grouped';
  groupConcurrency: number;
  timings: number[];
  claimed: number;
}

const scenarios: Scenario[] = [
  { label: 'no groups', schema: 'plain', groupConcurrency: 0, timings: [], claimed: 0 },
  { label: `${GROUPS.toLocaleString('en-US')} groups, groupConcurrency 1`, schema: 'grouped', groupConcurrency: 1, timings: [], claimed: 0 },
  { label: `${GROUPS.toLocaleString('en-US')} groups, groupConcurrency 2`, schema: 'grouped', groupConcurrency: 2, timings: [], claimed: 0 },
  { label: `${GROUPS.toLocaleString('en-US')} groups, groupConcurrency 10`, schema: 'grouped', groupConcurrency: 10, timings: [], claimed: 0 },
  { label: `${GROUPS.toLocaleString('en-US')} groups, no group limit`, schema: 'grouped', groupConcurrency: 0, timings: [], claimed: 0 },
];

const server = await startServer();
const admin = new pg.Client({ connectionString: server.url });
await admin.connect();
await admin.query('DROP DATABASE IF EXISTS pgq_bench_groups');
await admin.query('CREATE DATABASE pgq_bench_groups');
await admin.end();
const url = new URL(server.url);
url.pathname = '/pgq_bench_groups';
const client = new pg.Client({ connectionString: url.toString() });
try {
  await install(url.toString(), { schema: 'plain' });
  await install(url.toString(), { schema: 'grouped' });
  await client.connect();
  // Seeded by SQL, in one statement each: the grouped insert pays what a grouped job costs to
  // enqueue (the trigger that gives it its turn), printed beside the plain one.
  let started = performance.now();
  await client.query(`INSERT INTO plain.jobs (entrypoint, payload) SELECT 'bench', jsonb_build_object('n', i) FROM generate_series(1, $1::int) AS i`, [JOBS]);
  const plainSeedMs = performance.now() - started;
  started = performance.now();
  // Enqueued round-robin over the groups, as many tenants' traffic interleaves.
  await client.query(
    `INSERT INTO grouped.jobs (entrypoint, payload, headers)
     SELECT 'bench', jsonb_build_object('n', i), jsonb_build_object('pgq-group', 'tenant-' || (i % $2::int)) FROM generate_series(1, $1::int) AS i`,
    [JOBS, GROUPS],
  );
  const groupedSeedMs = performance.now() - started;
  await client.query('VACUUM ANALYZE plain.jobs');
  await client.query('VACUUM ANALYZE grouped.jobs');
  const perJob = (ms: number) => `${((ms * 1000) / JOBS).toFixed(1)} µs/job`;
  log(`seeded ${JOBS.toLocaleString('en-US')} queued jobs without groups in ${Math.round(plainSeedMs)} ms (${perJob(plainSeedMs)}), in ${GROUPS.toLocaleString('en-US')} groups in ${Math.round(groupedSeedMs)} ms (${perJob(groupedSeedMs)}) (${server.description})`);

  const db: Queryable = { query: async (statement, values) => (await client.query({ name: statement.name, text: statement.text, values: values as unknown[] })).rows };
  const claims = { plain: claimQuery(schemaNames('plain')), grouped: claimQuery(schemaNames('grouped')) };
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of scenarios) {
      for (let i = 0; i < CLAIMS; i++) {
        const t0 = performance.now();
        const { jobs } = await claims[s.schema](db, {
          workerId: WORKER,
          capacity: CAPACITY,
          promote: false,
          entrypoints: [{ name: 'bench', concurrencyLimit: 0, ratePerSecond: 0, burst: 0, groupConcurrency: s.groupConcurrency }],
        });
        if (round > 0) s.timings.push(performance.now() - t0); // the first round warms plans and caches
        s.claimed += jobs.length;
        if (jobs.length !== CAPACITY) throw new Error(`${s.label}: claimed ${jobs.length} of ${CAPACITY}`);
        await client.query(`DELETE FROM ${s.schema}.jobs WHERE id = ANY ($1::bigint[])`, [jobs.map((j) => j.id)]);
      }
      // The grouped queue serves four scenarios to the plain one's one: without a vacuum, its
      // indexes would carry four times the dead entries of claimed jobs for each claim to step
      // over. Autovacuum keeps a live queue's in check; here each scenario starts from none.
      await client.query(`VACUUM ${s.schema}.jobs`);
    }
  }
  const base = median(scenarios[0]!.timings);
  console.log(`\nClaims of ${CAPACITY} jobs from ${JOBS.toLocaleString('en-US')} queued (${server.description}), ${(ROUNDS - 1) * CLAIMS} claims each:\n`);
  console.log('| queue | median ms | p95 ms | µs per job | × no groups |');
  console.log('|---|---:|---:|---:|---:|');
  for (const s of scenarios) {
    const mid = median(s.timings);
    console.log(`| ${s.label} | ${mid.toFixed(2)} | ${percentile(s.timings, 95).toFixed(2)} | ${((mid * 1000) / CAPACITY).toFixed(1)} | ${(mid / base).toFixed(2)} |`);
  }
} finally {
  await client.end().catch(() => {});
  await server.stop();
}
