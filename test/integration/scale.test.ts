import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { Queryable, Statement } from '../../src/postgres/driver.js';
import { schemaNames } from '../../src/postgres/schema-names.js';
import { install } from '../../src/index.js';
import { claimQuery } from '../../src/postgres/statements/claim.js';
import { completeQuery } from '../../src/postgres/statements/complete.js';
import { enqueueQuery } from '../../src/postgres/statements/enqueue.js';
import { rescueQuery } from '../../src/postgres/statements/heartbeat.js';
import { nextDueQuery } from '../../src/postgres/statements/inspect.js';
import { getJobQuery, listJobsQuery } from '../../src/postgres/statements/job-info.js';
import type { JobQuery } from '../../src/port/rows.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const names = schemaNames();
let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
  await install(db.url);
  // 300,000 ready jobs, 300,000 deferred a year ahead, 2,000 running (some with stale heartbeats).
  await db.pool.query(`
    INSERT INTO pgqueuer.jobs (entrypoint, priority, status, payload)
    SELECT CASE WHEN g % 2 = 0 THEN 'big_a' ELSE 'big_b' END, g % 10, 'queued', '{}' FROM generate_series(1, 300000) g;
    INSERT INTO pgqueuer.jobs (entrypoint, status, payload, execute_after, dedupe_key)
    SELECT 'big_a', 'scheduled', '{}', now() + interval '1 year', 'key-' || g FROM generate_series(1, 300000) g;
    INSERT INTO pgqueuer.jobs (entrypoint, status, payload, worker_id, heartbeat, attempts)
    SELECT 'big_b', 'picked', '{}', gen_random_uuid(), now() - (g % 2) * interval '1 hour', 1 FROM generate_series(1, 2000) g;
    ANALYZE pgqueuer.jobs;`);
  // 1,000,000 finished jobs in the log, older than every live one: mostly successful, 2% failed,
  // and a retried attempt before some; "big_c" is 1% of them.
  await db.pool.query(`
    INSERT INTO pgqueuer.job_log (job_id, entrypoint, priority, status, attempt, created_at, finished_at, payload)
    SELECT -g, CASE WHEN g % 100 = 0 THEN 'big_c' ELSE 'big_a' END, 0,
           CASE WHEN g % 50 = 0 THEN 'exception' WHEN g % 7 = 0 THEN 'retried' ELSE 'successful' END, 1, now(), now(),
           CASE WHEN g % 50 = 0 THEN '{}'::jsonb END
    FROM generate_series(1, 1000000) g;
    ANALYZE pgqueuer.job_log;`);
});
after(() => db.drop());

/** The production query functions' view of a pool or a connection. */
function queryable(on: pg.Pool | pg.ClientBase): Queryable {
  return { query: async <Row>(s: Statement, values: readonly unknown[] = []) => (await on.query(s.text, [...values])).rows as Row[] };
}

/**
 * Runs `work` (the production query functions) in a transaction that is rolled back, and
 * returns the sequential and index scans of pgqueuer.jobs (or `schema`.`table`) it made, and
 * the rows they read. `before` runs first on the same connection, outside the count.
 */
async function scansOf(
  work: (q: Queryable) => Promise<unknown>,
  { table = 'jobs', schema = 'pgqueuer', before }: { table?: string; schema?: string; before?: (q: Queryable) => Promise<unknown> } = {},
): Promise<{ seq: number; idx: number; read: number }> {
  // A connection of its own: PostgreSQL (15 and later) may fold a session's earlier, not yet
  // flushed counts into pg_stat_xact_user_tables.
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const q = queryable(client);
  try {
    await before?.(q);
    await client.query('BEGIN');
    await work(q);
    const { rows } = await client.query(
      `SELECT seq_scan::int AS seq, idx_scan::int AS idx, (seq_tup_read + idx_tup_fetch)::int AS read
       FROM pg_stat_xact_user_tables WHERE schemaname = $2 AND relname = $1`,
      [table, schema],
    );
    return rows[0];
  } finally {
    await client.query('ROLLBACK');
    await client.end();
  }
}

test('with 600,000 live jobs, a claim (promotion, limits, batch) uses indexes only', async () => {
  let claimed = 0;
  const scans = await scansOf(async (q) => {
    // Several times: PostgreSQL plans a function's statements anew for the first five calls,
    // then may switch to one generic plan; both must stay on the indexes.
    for (let i = 0; i < 7; i++) {
      const { jobs, rateLimited } = await claimQuery(names)(q, {
        workerId: '00000000-0000-0000-0000-000000000001',
        capacity: 100,
        promote: true,
        entrypoints: [
          { name: 'big_a', concurrencyLimit: 0, ratePerSecond: 0, burst: 0, groupConcurrency: 0 },
          { name: 'big_b', concurrencyLimit: 2_500, ratePerSecond: 1_000, burst: 1_000, groupConcurrency: 0 },
          // Rate limited with its bucket short of the claim, and no job queued: checked for waiting jobs.
          { name: 'idle_limited', concurrencyLimit: 0, ratePerSecond: 1, burst: 1, groupConcurrency: 0 },
        ],
      });
      claimed += jobs.length;
      assert.ok(!rateLimited.includes('idle_limited'), 'nothing of it waits');
    }
  });
  assert.ok(claimed >= 600, `claimed ${claimed}`);
  assert.deepEqual({ seq: scans.seq, usedIndexes: scans.idx > 0 }, { seq: 0, usedIndexes: true });
});

test('the rescue sweep, the next-due lookup and a deduped enqueue use indexes only', async () => {
  let rescued = 0;
  const rescue = await scansOf(async (q) => {
    rescued = (await rescueQuery(names)(q, [{ entrypoint: 'big_b', rescueAfterMs: 60_000 }])).get('big_b') ?? 0;
  });
  assert.equal(rescued, 1_000);
  assert.equal(rescue.seq, 0);
  assert.equal((await scansOf((q) => nextDueQuery(names)(q, ['big_a', 'big_b']))).seq, 0);
  const enqueue = await scansOf((q) =>
    enqueueQuery(names)(q, [
      { entrypoint: 'big_a', priority: 0, payload: '{}', headers: null, executeAt: null, delayMs: null, dedupeKey: 'fresh-key', onConflict: 'error', dedupeWindowMs: null, after: null, runOnParentFailure: false },
    ]),
  );
  assert.equal(enqueue.seq, 0);
});

test('recording a batch of outcomes reads its own jobs, not every running job', async () => {
  // A worker's outcomes arrive in batches as large as what it runs, while other workers' jobs
  // run too. The statistics are from before any job ran (analyzed after a burst of enqueues),
  // which made a partial index of running jobs look empty: walking it and testing each job
  // against the batch costs the batch times the jobs running.
  const own = schemaNames('scale_outcomes');
  await install(db.url, { schema: own.schema });
  await db.pool.query(`
    INSERT INTO scale_outcomes.jobs (entrypoint, payload) SELECT 'burst', '{}' FROM generate_series(1, 20000);
    ANALYZE scale_outcomes.jobs;`);
  const pool = queryable(db.pool);
  const claim = (workerId: string, capacity: number) =>
    claimQuery(own)(pool, {
      workerId,
      capacity,
      promote: false,
      entrypoints: [{ name: 'burst', concurrencyLimit: 0, ratePerSecond: 0, burst: 0, groupConcurrency: 0 }],
    });
  await claim('00000000-0000-0000-0000-0000000000c1', 1_500);
  const workerId = '00000000-0000-0000-0000-0000000000c0';
  const { jobs } = await claim(workerId, 500);
  assert.equal(jobs.length, 500);
  const scans = await scansOf(
    (q) =>
      completeQuery(own)(
        q,
        workerId,
        jobs.map((job) => ({ id: job.id, attempt: job.attempt, entrypoint: job.entrypoint, outcome: 'successful' as const, durationMs: 1 })),
      ),
    { schema: own.schema },
  );
  assert.equal(scans.seq, 0);
  assert.ok(scans.read <= 600, `read ${scans.read} jobs to record 500 outcomes (2,000 are running)`);
});

test('without table statistics (a burst before autovacuum analyzed it) a claim still reads only what it claims', async () => {
  const fresh = schemaNames('scale_unanalyzed');
  await install(db.url, { schema: fresh.schema });
  await db.pool.query(`
    ALTER TABLE scale_unanalyzed.jobs SET (autovacuum_enabled = false);
    INSERT INTO scale_unanalyzed.jobs (entrypoint, payload) SELECT 'burst', '{}' FROM generate_series(1, 200000);`);
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    const { jobs } = await claimQuery(fresh)(
      queryable(client),
      { workerId: '00000000-0000-0000-0000-000000000001', capacity: 100, promote: true, entrypoints: [{ name: 'burst', concurrencyLimit: 0, ratePerSecond: 0, burst: 0, groupConcurrency: 0 }] },
    );
    const { rows } = await client.query(
      `SELECT seq_tup_read::int AS seq, idx_tup_fetch::int AS fetched FROM pg_stat_xact_user_tables WHERE schemaname = 'scale_unanalyzed' AND relname = 'jobs'`,
    );
    assert.equal(jobs.length, 100);
    // A bitmap scan of every queued job, then a sort, would fetch all 200,000.
    assert.ok(rows[0].fetched <= 1_000 && rows[0].seq === 0, `the claim read ${JSON.stringify(rows[0])}`);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
});

test('with statistics from an empty table, a grouped enqueue still finds its place by index lookups', async () => {
  const fresh = schemaNames('scale_grouped');
  await install(db.url, { schema: fresh.schema });
  await db.pool.query(`ALTER TABLE scale_grouped.jobs SET (autovacuum_enabled = false); ANALYZE scale_grouped.jobs;`);
  const grouped = (n: number) => ({
    entrypoint: 'tenants', priority: n % 3, payload: '{}', headers: JSON.stringify({ 'pgq-group': `tenant-${n % 60}` }), executeAt: null, delayMs: null,
    dedupeKey: null, onConflict: 'error' as const, dedupeWindowMs: null, after: null, runOnParentFailure: false,
  });
  const scans = await scansOf(
    async (q) => {
      await enqueueQuery(fresh)(q, [grouped(0)]);
      await enqueueQuery(fresh)(q, [...Array(100).keys()].map(grouped));
    },
    {
      schema: fresh.schema,
      // A connection that enqueued while the table was empty (its plans cached then, past the
      // five calls after which one generic plan may be kept); then 20,000 grouped jobs arrive
      // before autovacuum analyzes the table.
      before: async (q) => {
        for (let i = 0; i < 7; i++) await enqueueQuery(fresh)(q, [grouped(i)]);
        await db.pool.query(`INSERT INTO scale_grouped.jobs (entrypoint, payload, headers)
          SELECT 'tenants', '{}', jsonb_build_object('pgq-group', 'tenant-' || (g % 50)) FROM generate_series(1, 20000) g`);
      },
    },
  );
  // A scan of the queued jobs for each insert would read millions.
  assert.ok(scans.seq === 0 && scans.read <= 2_000, `the enqueues read ${JSON.stringify(scans)}`);
});

test('with 600,000 live jobs and 1,000,000 log rows, a page of listJobs walks indexes and stops at the page', async () => {
  // Log job ids are negative here (older than every live job); "before" 0 starts the log's walk at its newest.
  const list = listJobsQuery(names);
  // [query, jobs on the page, rows it may read]: a filter reads past the newer jobs it does not
  // match (big_c is 1 in 100 of the log), a sort of every match would read hundreds of thousands.
  const pages: Array<[JobQuery, number, number]> = [
    [{ entrypoint: null, status: null, limit: 50, before: null }, 50, 2_000],
    [{ entrypoint: null, status: null, limit: 50, before: 0 }, 50, 2_000],
    [{ entrypoint: null, status: 'successful', limit: 50, before: null }, 50, 2_000],
    [{ entrypoint: null, status: 'exception', limit: 50, before: null }, 50, 2_000],
    [{ entrypoint: 'big_c', status: 'exception', limit: 50, before: -500_000 }, 50, 2_000],
    [{ entrypoint: 'big_c', status: null, limit: 50, before: 0 }, 50, 20_000],
    [{ entrypoint: 'big_b', status: 'held', limit: 50, before: null }, 0, 2_000],
  ];
  for (const [query, expected, bound] of pages) {
    let got = 0;
    const where = JSON.stringify(query);
    const jobs = await scansOf(async (q) => (got = (await list(q, query)).jobs.length));
    const log = await scansOf((q) => list(q, query), { table: 'job_log' });
    assert.equal(got, expected, where);
    assert.equal(jobs.seq + log.seq, 0, `${where}: no sequential scan`);
    assert.ok(jobs.read + log.read < bound, `${where} read ${jobs.read} jobs and ${log.read} log rows`);
  }
});

test('getJob reads one job and its history by index', async () => {
  const get = getJobQuery(names);
  let found = false;
  const log = await scansOf(async (q) => (found = (await get(q, 500_000)) !== null), { table: 'job_log' });
  assert.ok(found);
  assert.deepEqual({ seq: log.seq, read: log.read }, { seq: 0, read: 0 }, 'a live job: its history is empty');
  const finished = await scansOf(async (q) => (found = (await get(q, -4_900)) !== null), { table: 'job_log' });
  assert.ok(found);
  assert.ok(finished.seq === 0 && finished.read < 10, `read ${JSON.stringify(finished)}`);
});
