/**
 * `npx tsx bench/web.ts`: how long each page of the web dashboard takes to render on a large
 * queue. Seeds one database (default 1,000,000 live jobs over 20 entrypoints and 10,000,000 log
 * rows spread over the last day), VACUUM ANALYZEs it, mounts dashboard() in this process and
 * fetches every page `--runs` times, printing median, p95 and max per page. The target is
 * every page under 200 ms. Uses DATABASE_URL's server, else an embedded one.
 *
 *   npx tsx bench/web.ts [--jobs 1000000] [--log-rows 10000000] [--runs 10]
 *
 * Seeding the full size takes minutes and gigabytes; for a smoke run pass smaller sizes.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { install, PgQueuer } from '../src/index.js';
import { dashboard } from '../src/web/index.js';
import { countOption } from './count-option.js';
import { startServer } from './server.js';

const JOBS = countOption('jobs', 1_000_000);
const LOG_ROWS = countOption('log-rows', 10_000_000);
const RUNS = countOption('runs', 10);
const ENTRYPOINTS = 20;

const log = (text: string): void => console.error(`[bench:web] ${text}`);

/**
 * Live jobs: mostly queued, some deferred, a few held, a few running. The log: one row per
 * finished attempt in finished_at order (as a real log grows, so the BRIN index is tight),
 * about 2% failures, durations of a few milliseconds.
 */
async function seed(db: pg.Pool): Promise<void> {
  const started = performance.now();
  await db.query(
    `INSERT INTO pgqueuer.jobs (entrypoint, status, payload, execute_after, error, worker_id, heartbeat, picked_at)
     SELECT 'bench_' || (i % ${ENTRYPOINTS}),
            CASE WHEN i % 100 = 0 THEN 'scheduled' WHEN i % 250 = 1 THEN 'held' WHEN i % 1000 = 2 THEN 'picked' ELSE 'queued' END,
            jsonb_build_object('n', i, 'to', 'user' || i || '@example.com'),
            CASE WHEN i % 100 = 0 THEN now() + interval '1 hour' ELSE now() END,
            CASE WHEN i % 250 = 1 THEN '{"name":"Error","message":"smtp refused: 550"}'::jsonb END,
            CASE WHEN i % 1000 = 2 THEN gen_random_uuid() END,
            CASE WHEN i % 1000 = 2 THEN now() END,
            CASE WHEN i % 1000 = 2 THEN now() END
     FROM generate_series(1, $1::int) AS i`,
    [JOBS],
  );
  log(`${JOBS.toLocaleString('en-US')} live jobs in ${Math.round(performance.now() - started)} ms`);
  const batch = 1_000_000;
  for (let from = 1; from <= LOG_ROWS; from += batch) {
    const to = Math.min(LOG_ROWS, from + batch - 1);
    await db.query(
      `INSERT INTO pgqueuer.job_log (job_id, entrypoint, priority, status, attempt, duration_ms, error, created_at, picked_at, finished_at)
       SELECT ${JOBS} + i, 'bench_' || (i % ${ENTRYPOINTS}), 0,
              CASE WHEN i % 50 = 0 THEN 'exception' ELSE 'successful' END, 1, 2 + (i % 37),
              CASE WHEN i % 50 = 0 THEN '{"name":"Error","message":"boom"}'::jsonb END,
              t, t, t
       FROM generate_series($1::int, $2::int) AS i,
            LATERAL (SELECT now() - interval '1 day' + (i::double precision / $3) * interval '1 day' AS t) AS at`,
      [from, to, LOG_ROWS],
    );
    log(`log rows ${to.toLocaleString('en-US')} / ${LOG_ROWS.toLocaleString('en-US')}`);
  }
  await db.query('VACUUM ANALYZE pgqueuer.jobs');
  await db.query('VACUUM ANALYZE pgqueuer.job_log');
  log(`seeded and vacuumed in ${Math.round((performance.now() - started) / 1_000)} s`);
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function main(): Promise<void> {
  const server = await startServer();
  const name = `pgq_bench_web_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  pool.on('error', () => {}); // an idle client cut by the server (a restart) is not a result
  let pgq: PgQueuer | undefined;
  try {
    await install(url.toString());
    await seed(pool);
    pgq = await PgQueuer.connect(url.toString());
    const [held] = (await pool.query<{ id: string }>(`SELECT id FROM pgqueuer.jobs WHERE status = 'held' ORDER BY id DESC LIMIT 1`)).rows;
    const handler = dashboard({ pgq });
    const http = createServer(handler);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const root = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const pages = [
      '/', '/entrypoints', '/entrypoints?window=86400', '/jobs', '/jobs?entrypoint=bench_7', '/jobs?status=held',
      `/jobs?after=${Math.floor(JOBS / 2)}`, '/jobs?q=user12345%40', `/jobs/${held?.id ?? 1}`, '/failures', '/failures?status=exception', '/workers', '/schedules', '/system',
    ];
    console.log(`web dashboard render times, ${JOBS.toLocaleString('en-US')} live jobs, ${LOG_ROWS.toLocaleString('en-US')} log rows, ${RUNS} runs (${server.description})`);
    console.log(`${'page'.padEnd(34)}${'median'.padStart(10)}${'p95'.padStart(10)}${'max'.padStart(10)}`);
    for (const page of pages) {
      await (await fetch(`${root}${page}`)).text(); // warm: prepared plans, caches
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const res = await fetch(`${root}${page}`);
        await res.text();
        if (res.status !== 200) throw new Error(`${page} answered ${res.status}`);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const ms = (n: number): string => `${n.toFixed(1)} ms`.padStart(10);
      const flag = quantile(times, 0.5) > 200 ? '  over 200 ms' : '';
      console.log(`${page.padEnd(34)}${ms(quantile(times, 0.5))}${ms(quantile(times, 0.95))}${ms(times.at(-1)!)}${flag}`);
    }
    http.closeAllConnections();
    http.close();
    await handler.close();
  } finally {
    await pgq?.stop();
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await server.stop();
  }
}

await main();
