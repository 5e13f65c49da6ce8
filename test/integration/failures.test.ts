import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { install, PgQueuer, type Job } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runPgq } from '../support/pgq-cli.js';
import { FAST, startWorker } from '../support/queue.js';
import { until } from '../support/wait.js';

let db: TestDatabase;
let producer: PgQueuer;
let stopWorker: () => Promise<void>;
/** The downstream service the flaky handler calls; "fixed" before the retries. */
let upstreamDown = true;
const received: Array<Pick<Job, 'id' | 'entrypoint' | 'payload' | 'headers' | 'priority'>> = [];
const ids = { a: 0, b: 0, steady: 0, parked: 0 };

/**
 * Two failed jobs (flaky a, then flaky b), one success, and one job canceled before it ran,
 * finished in that order.
 */
before(async () => {
  db = await createTestDatabase();
  await install(db.url);
  producer = await PgQueuer.connect(db.url);
  const worker = await PgQueuer.connect(db.url, FAST);
  const record = async (job: Job): Promise<void> => {
    received.push({ id: job.id, entrypoint: job.entrypoint, payload: job.payload, headers: job.headers, priority: job.priority });
  };
  worker.entrypoint('flaky', async (job) => {
    if (upstreamDown) throw new TypeError(`upstream 503 for ${(job.payload as { key: string }).key}\nat the gateway`);
    await record(job);
  });
  worker.entrypoint('steady', record);
  worker.entrypoint('parked', record);
  stopWorker = startWorker(worker);

  ids.a = await producer.enqueue('flaky', { key: 'a' }, { priority: 7, headers: { tenant: 'acme' }, dedupeKey: 'flaky:a' });
  await producer.waitFor(ids.a, { timeoutMs: 20_000 });
  ids.b = await producer.enqueue('flaky', { key: 'b' });
  await producer.waitFor(ids.b, { timeoutMs: 20_000 });
  ids.steady = await producer.enqueue('steady', { n: 1 });
  await producer.waitFor(ids.steady, { timeoutMs: 20_000 });
  ids.parked = await producer.enqueue('parked', { key: 'c' }, { executeAfter: 3_600_000, headers: { why: 'later' } });
  assert.deepEqual(await producer.cancel([ids.parked]), [ids.parked]);
  received.length = 0;
});

after(async () => {
  await stopWorker?.();
  await producer?.stop();
  await db.drop();
});

async function finishedAt(jobId: number): Promise<string> {
  const { rows } = await db.pool.query(`SELECT finished_at FROM pgqueuer.job_log WHERE job_id = $1 AND status = 'exception'`, [jobId]);
  return (rows[0].finished_at as Date).toISOString();
}

const cells = (stdout: string): string[][] => stdout.trimEnd().split('\n').map((l) => l.split(/\s{2,}/));

describe('pgq failures', () => {
  test('lists failed jobs newest first with the first line of the error', async () => {
    const { code, stdout, stderr } = await runPgq(db.url, ['failures']);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    assert.deepEqual(cells(stdout), [
      ['job', 'entrypoint', 'attempt', 'finished at', 'error'],
      [String(ids.b), 'flaky', '1', await finishedAt(ids.b), 'TypeError: upstream 503 for b'],
      [String(ids.a), 'flaky', '1', await finishedAt(ids.a), 'TypeError: upstream 503 for a'],
    ]);
  });

  test('--limit, --entrypoint and --json', async () => {
    const one = await runPgq(db.url, ['failures', '--limit', '1']);
    assert.deepEqual(cells(one.stdout).map((r) => r[0]), ['job', String(ids.b)]);

    const none = await runPgq(db.url, ['failures', '--entrypoint', 'steady']);
    assert.equal(none.code, 0);
    assert.equal(none.stdout, 'no failures\n');

    const json = await runPgq(db.url, ['failures', '--json', '--entrypoint', 'flaky']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), [
      { id: ids.b, entrypoint: 'flaky', attempt: 1, finishedAt: await finishedAt(ids.b), error: { name: 'TypeError', message: 'upstream 503 for b' } },
      { id: ids.a, entrypoint: 'flaky', attempt: 1, finishedAt: await finishedAt(ids.a), error: { name: 'TypeError', message: 'upstream 503 for a' } },
    ]);
    assert.deepEqual(JSON.parse((await runPgq(db.url, ['failures', '--json', '--entrypoint', 'nope'])).stdout), []);
  });

  test('--scan bounds the search and says when it may have missed older failures', async () => {
    // The newest log entry is the canceled job: one entry holds no failure.
    const bounded = await runPgq(db.url, ['failures', '--scan', '1']);
    assert.equal(bounded.code, 0);
    assert.equal(bounded.stdout, 'no failures\n');
    assert.equal(bounded.stderr, 'pgq: searched only the newest 1 log entries; pass a larger --scan to look further back\n');

    const enough = await runPgq(db.url, ['failures', '--scan', '3', '--limit', '5']);
    assert.deepEqual(cells(enough.stdout).map((r) => r[0]), ['job', String(ids.b)]);
    assert.match(enough.stderr, /searched only the newest 3 log entries/);
  });

  test('bad options and a missing schema are one line and exit 2; --help', async () => {
    const bad = await runPgq(db.url, ['failures', '--limit', 'many']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"many" is not an integer of at least 1/);

    const missing = await runPgq(db.url, ['--schema-name', 'nowhere', 'failures']);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, 'pgq: pgqueuer is not installed in schema "nowhere": run `npx pgq install --schema-name nowhere`\n');

    const help = await runPgq(db.url, ['failures', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: pgq failures \[options\]/);
    for (const option of ['--limit <n>', '--entrypoint <name>', '--scan <n>', '--json']) assert.ok(help.stdout.includes(option), option);
  });
});

describe('pgq retry', () => {
  test('enqueues failed and canceled jobs again, which run with their original payload; unknown ids are reported', async () => {
    upstreamDown = false; // the fix is deployed
    const unknown = 987_654;
    const { code, stdout, stderr } = await runPgq(db.url, ['retry', String(ids.a), String(ids.parked), String(ids.steady), String(unknown)]);
    assert.equal(code, 0, stderr);
    const match = /^retried 2 job\(s\):\n {2}(\d+) -> (\d+)\n {2}(\d+) -> (\d+)\nnot found among failed or canceled jobs: (.*)\n$/.exec(stdout);
    assert.ok(match, stdout);
    assert.deepEqual([Number(match[1]), Number(match[3])], [ids.a, ids.parked]);
    assert.equal(match[5], `${ids.steady}, ${unknown}`);
    const newA = Number(match[2]);
    const newParked = Number(match[4]);
    assert.equal(stdout, `retried 2 job(s):\n  ${ids.a} -> ${newA}\n  ${ids.parked} -> ${newParked}\nnot found among failed or canceled jobs: ${ids.steady}, ${unknown}\n`);
    assert.ok(newA > ids.parked && newParked > ids.parked, 'new jobs get new ids');

    const done = await producer.waitForAll([newA, newParked], { timeoutMs: 20_000 });
    assert.deepEqual(done.map((d) => d.status), ['successful', 'successful']);
    assert.deepEqual(
      received.sort((x, y) => x.id - y.id),
      [
        { id: newA, entrypoint: 'flaky', payload: { key: 'a' }, headers: { tenant: 'acme' }, priority: 7 },
        // Canceled while deferred: the retry runs now.
        { id: newParked, entrypoint: 'parked', payload: { key: 'c' }, headers: { why: 'later' }, priority: 0 },
      ],
    );
  });

  test('--json; retrying the same failure twice enqueues it twice; no dedupe key is carried', async () => {
    received.length = 0;
    const first = await runPgq(db.url, ['retry', '--json', String(ids.b), String(ids.b), '5000000']);
    assert.equal(first.code, 0, first.stderr);
    const parsed = JSON.parse(first.stdout) as { retried: Array<{ id: number; newId: number }>; notFound: number[] };
    assert.deepEqual(Object.keys(parsed), ['retried', 'notFound']);
    assert.equal(parsed.retried.length, 1, 'an id given twice is retried once');
    assert.equal(parsed.retried[0]!.id, ids.b);
    assert.deepEqual(parsed.notFound, [5_000_000]);

    // a's dedupe key is held by another live job: the retries (which carry no key) still go in.
    const holder = await producer.enqueue('flaky', { key: 'holder' }, { dedupeKey: 'flaky:a', executeAfter: 3_600_000 });
    const second = JSON.parse((await runPgq(db.url, ['retry', '--json', String(ids.a)])).stdout);
    const third = JSON.parse((await runPgq(db.url, ['retry', '--json', String(ids.a)])).stdout);
    await producer.cancel([holder]);
    assert.notEqual(second.retried[0].newId, third.retried[0].newId);
    const newIds = [parsed.retried[0]!.newId, second.retried[0].newId, third.retried[0].newId];
    await producer.waitForAll(newIds, { timeoutMs: 20_000 });
    await until(() => received.length === 3, 5_000, 'three handler runs');
    assert.deepEqual(received.map((r) => r.payload).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))), [
      { key: 'a' },
      { key: 'a' },
      { key: 'b' },
    ]);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM pgqueuer.job_log WHERE job_id = ANY ($1) AND status = 'successful'`, [newIds]);
    assert.equal(rows[0].n, 3);
  });

  test('a successful or live job is not retried', async () => {
    const live = await producer.enqueue('parked', { key: 'live' }, { executeAfter: 3_600_000 });
    const out = await runPgq(db.url, ['retry', String(live), String(ids.steady)]);
    assert.equal(out.code, 0);
    assert.equal(out.stdout, `retried 0 job(s)\nnot found among failed or canceled jobs: ${live}, ${ids.steady}\n`);
    await producer.cancel([live]);
  });

  test('bad ids are one line and exit 2; --help', async () => {
    const bad = await runPgq(db.url, ['retry', 'abc']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"abc" is not a job id/);
    assert.equal((await runPgq(db.url, ['retry'])).code, 2);

    const help = await runPgq(db.url, ['retry', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: pgq retry \[options\] <id\.\.\.>/);
    assert.match(help.stdout, /Retrying the same id twice enqueues it twice/);
  });
});
