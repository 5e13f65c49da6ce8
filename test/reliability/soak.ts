/**
 * `npm run soak`: the chaos suite's long version. For SOAK_MINUTES (default 10) a producer
 * enqueues continuously while three worker processes are SIGKILLed, restarted gracefully and
 * have their connections killed, at seeded random times. Then it drains, judges the ledger
 * (lost / unexpected / duplicated, as in chaos.test.ts) and reports throughput, the most
 * connections the database saw and the workers' memory. Exits 1 if anything was lost or
 * unexpected, a duplicate is unexplained, or connections or memory grew without bound.
 *
 *   SOAK_MINUTES=2 CHAOS_SEED=7 npm run soak        (DATABASE_URL, or an embedded PostgreSQL)
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { PgQueuer } from '../../src/index.js';
import { startEmbeddedPostgres } from '../../src/postgres/embedded.js';
import { Fleet, type FleetWorker } from './support/fleet.js';
import { Ledger, LEDGER_SCHEMA, random, seedFor } from './support/ledger.js';

const minutes = Number(process.env.SOAK_MINUTES ?? 10);
const seed = seedFor(4242);
const rand = random(seed);
/** Per worker: its pool (10), listener, ledger pool (4); plus producer, admin and slack. */
const CONNECTION_BOUND = 3 * 16 + 20;

const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres();
const serverUrl = process.env.DATABASE_URL ?? embedded!.url;
const dbName = `pgq_soak_${process.pid}`;
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const url = new URL(serverUrl);
url.pathname = `/${dbName}`;
const dbUrl = url.toString();

const pool = new pg.Pool({ connectionString: dbUrl, max: 3, application_name: 'soak' });
pool.on('error', () => {});
const setup = await PgQueuer.connect(dbUrl, { install: true, metrics: false });
await setup.stop();
await pool.query(LEDGER_SCHEMA);

const ledger = new Ledger();
const fleet = new Fleet({ DATABASE_URL: dbUrl, CHAOS_SEED: String(seed), WORK_MAX_MS: '3', DIE_MID_HANDLER: '0.0002', DIE_COMPLETING: '0.0002' });
let finishing = false;
const supervise = (worker: FleetWorker): void => {
  void worker.exited.then(({ signal }) => {
    if (signal === 'SIGKILL' && !fleet.killed.includes(worker.tag)) fleet.killed.push(worker.tag);
    if (!finishing && !fleet.terminated.has(worker.tag)) fleet.start().then(supervise, (err) => console.error('restart failed', err));
  });
};
for (let i = 0; i < 3; i++) supervise(await fleet.start());

const rssMb = (pid: number | undefined): number => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  } catch {
    return 0;
  }
};
const samples: Array<{ at: number; connections: number; rss: number[] }> = [];
const events = { kills: 0, restarts: 0, connectionKills: 0 };
const endAt = Date.now() + minutes * 60_000;
const startedAt = Date.now();

const chaos = (async () => {
  while (Date.now() < endAt) {
    await new Promise((resolve) => setTimeout(resolve, 1_000 + rand() * 4_000));
    const workers = [...fleet.workers];
    const victim = workers[Math.floor(rand() * workers.length)];
    const dice = rand();
    try {
      if (dice < 0.5 && victim) {
        events.kills++;
        await fleet.kill(victim);
      } else if (dice < 0.8 && victim) {
        events.restarts++;
        try {
          await fleet.terminate(victim);
        } catch (err) {
          // It may kill itself (DIE_*) while stopping: still replaced below.
          if (!/SIGKILL/.test(String(err))) throw err;
        }
        supervise(await fleet.start());
      } else {
        events.connectionKills++;
        await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name <> 'soak'`);
      }
    } catch (err) {
      console.error('fault injection failed', err);
    }
  }
})();

const sampler = setInterval(() => {
  void pool
    .query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()')
    .then(({ rows }) => samples.push({ at: Date.now(), connections: rows[0]!.n, rss: [...fleet.workers].map((w) => rssMb(w.child.pid)) }))
    .catch(() => {});
}, 5_000);

const producer = await PgQueuer.connect(dbUrl, { metrics: false });
let n = 0;
while (Date.now() < endAt) {
  const keys = Array.from({ length: 50 }, () => `soak-${n++}`);
  try {
    await producer.enqueueMany(keys.map((k) => ({ entrypoint: 'chaos', payload: { k } })));
    for (const k of keys) ledger.note(k, 'ok');
  } catch {
    for (const k of keys) ledger.note(k, 'indeterminate');
  }
  await new Promise((resolve) => setTimeout(resolve, 25));
}
await chaos;
clearInterval(sampler);

// Drain: every acknowledged job must end.
const drainDeadline = Date.now() + 120_000;
let verdict = await ledger.verdict(pool);
while (verdict.lost.length > 0 && Date.now() < drainDeadline) {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  verdict = await ledger.verdict(pool);
}
finishing = true;
await Promise.all([...fleet.workers].map((w) => fleet.terminate(w).catch(() => {})));
await fleet.destroy();
await producer.stop();

const seconds = (Date.now() - startedAt) / 1000;
const maxConnections = Math.max(0, ...samples.map((s) => s.connections));
const rssSeries = samples.filter((s) => s.rss.length > 0).map((s) => Math.max(...s.rss));
const report = {
  seed,
  minutes,
  jobs: verdict.enqueued,
  jobsPerSecond: Math.round(verdict.enqueued.ok / seconds),
  faults: { ...events, selfKills: fleet.killed.length - events.kills },
  lost: verdict.lost.length,
  unexpected: verdict.unexpected.length,
  duplicated: verdict.duplicated,
  explained: verdict.explained,
  unexplained: verdict.unexplained.length,
  interruptedAttempts: verdict.interruptedAttempts,
  maxConnections,
  connectionBound: CONNECTION_BOUND,
  workerRssMb: { first: Math.round(rssSeries[0] ?? 0), max: Math.round(Math.max(0, ...rssSeries)), last: Math.round(rssSeries.at(-1) ?? 0) },
};
console.log(JSON.stringify(report, null, 2));
for (const line of [...verdict.lost.slice(0, 5), ...verdict.unexpected.slice(0, 5), ...verdict.unexplained.slice(0, 5)]) console.log(`  ${line}`);

await pool.end();
await admin.query(`DROP DATABASE ${dbName} WITH (FORCE)`);
await admin.end();
await embedded?.stop();
// Workers restart at most every few seconds, so a worker's RSS is its own steady state: a
// worker that ran the whole soak would show growth; cap it generously against leaks.
const sound = report.lost === 0 && report.unexpected === 0 && report.unexplained === 0 && maxConnections <= CONNECTION_BOUND && report.workerRssMb.max < 400;
console.log(sound ? 'soak: sound' : 'soak: FAILED');
process.exit(sound ? 0 : 1);
