import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { install, PgQueuer, type Job } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runPgq } from '../support/pgq-cli.js';
import { FAST, startWorker } from '../support/queue.js';
import { until } from '../support/wait.js';

let db: TestDatabase;
let producer: PgQueuer;
let stopWorker: () => Promise<void>;
/** The downstream service the failing handlers call; "fixed" before the requeues. */
let upstreamDown = true;
const received: Array<Pick<Job, 'id' | 'entrypoint' | 'payload' | 'headers' | 'priority'>> = [];
const ids = { held: 0, failed: 0, steady: 0, parked: 0 };

/**
 * One job held after failing (hold), one failed into the log (log), one success, and one
 * canceled before it ran, finished in that order.
 */
before(async () => {
  db = await createTestDatabase();
  await install(db.url);
  producer = await PgQueuer.connect(db.url);
  const worker = await PgQueuer.connect(db.url, FAST);
  const record = async (job: Job): Promise<void> => {
    received.push({ id: job.id, entrypoint: job.entrypoint, payload: job.payload, headers: job.headers, priority: job.priority });
  };
  const flaky = async (job: Job): Promise<void> => {
    if (upstreamDown) throw new TypeError(`upstream 503 for ${(job.payload as { key: string }).key}\nat the gateway`);
    await record(job);
  };
  worker.entrypoint('keeper', { onFailure: 'hold' }, flaky);
  worker.entrypoint('keeper2', { onFailure: 'hold' }, flaky);
  worker.entrypoint('flaky', flaky);
  worker.entrypoint('steady', record);
  worker.entrypoint('parked', record);
  stopWorker = startWorker(worker);

  // The fingerprint as a typed producer stamps it: the payload schema version `pgq jobs` and `pgq job` show.
  ids.held = await producer.enqueue('keeper', { key: 'h' }, { priority: 7, headers: { tenant: 'acme', 'pgq-fingerprint': '0123456789abcdef' } });
  assert.equal((await producer.waitFor(ids.held, { timeoutMs: 20_000 })).status, 'held');
  ids.failed = await producer.enqueue('flaky', { key: 'f' }, { headers: { tenant: 'acme' }, dedupeKey: 'flaky:f' });
  await producer.waitFor(ids.failed, { timeoutMs: 20_000 });
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

const cells = (stdout: string): string[][] => stdout.trimEnd().split('\n').map((l) => l.split(/\s{2,}/));

describe('pgq jobs, pgq failures, pgq job', () => {
  test('jobs lists live and finished jobs newest first, with the first line of the error', async () => {
    const { code, stdout, stderr } = await runPgq(db.url, ['jobs']);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    const rows = cells(stdout);
    assert.deepEqual(rows[0], ['job', 'entrypoint', 'status', 'priority', 'attempts', 'created', 'version', 'error']);
    assert.deepEqual(
      rows.slice(1).map((r) => [r[0], r[1], r[2], r[3], r[4], r[6], r[7]]),
      [
        [String(ids.parked), 'parked', 'canceled', '0', '0', '-', undefined],
        [String(ids.steady), 'steady', 'successful', '0', '1', '-', undefined],
        [String(ids.failed), 'flaky', 'exception', '0', '1', '-', 'TypeError: upstream 503 for f'],
        [String(ids.held), 'keeper', 'held', '7', '1', '01234567', 'TypeError: upstream 503 for h'],
      ],
    );
  });

  test('--status, --entrypoint, --limit with the next page on stderr, --json; failures is jobs --status exception', async () => {
    const held = await runPgq(db.url, ['jobs', '--status', 'held']);
    assert.deepEqual(cells(held.stdout).slice(1).map((r) => r[0]), [String(ids.held)]);
    assert.equal((await runPgq(db.url, ['jobs', '--entrypoint', 'nope'])).stdout, 'no jobs\n');

    const page = await runPgq(db.url, ['jobs', '--limit', '2']);
    assert.deepEqual(cells(page.stdout).slice(1).map((r) => r[0]), [String(ids.parked), String(ids.steady)]);
    assert.equal(page.stderr, `pgq: more jobs: pass --after ${ids.steady}\n`);
    const rest = await runPgq(db.url, ['jobs', '--limit', '2', '--after', String(ids.steady)]);
    assert.deepEqual(cells(rest.stdout).slice(1).map((r) => r[0]), [String(ids.failed), String(ids.held)]);
    assert.equal(rest.stderr, '');

    const json = JSON.parse((await runPgq(db.url, ['jobs', '--json', '--entrypoint', 'flaky'])).stdout);
    assert.deepEqual(Object.keys(json), ['jobs', 'next']);
    assert.equal(json.next, null);
    assert.equal(json.jobs.length, 1);
    assert.deepEqual(
      { id: json.jobs[0].id, status: json.jobs[0].status, payload: json.jobs[0].payload, headers: json.jobs[0].headers, error: json.jobs[0].error.message },
      { id: ids.failed, status: 'exception', payload: { key: 'f' }, headers: { tenant: 'acme' }, error: 'upstream 503 for f\nat the gateway' },
    );

    const failures = await runPgq(db.url, ['failures']);
    assert.equal(failures.code, 0, failures.stderr);
    assert.deepEqual(cells(failures.stdout).slice(1).map((r) => [r[0], r[2]]), [[String(ids.failed), 'exception']]);
  });

  test('job shows the facts and every attempt; --json; an unknown job exits 1', async () => {
    const text = await runPgq(db.url, ['job', String(ids.held)]);
    assert.equal(text.code, 0, text.stderr);
    const facts = Object.fromEntries(cells(text.stdout.split('\n\n')[0]!).slice(1).map((r) => [r[0], r[1]]));
    assert.equal(facts.status, 'held');
    assert.equal(facts.payload, '{"key":"h"}');
    assert.equal(facts.headers, '{"tenant":"acme","pgq-fingerprint":"0123456789abcdef"}');
    assert.equal(facts.version, '0123456789abcdef');
    assert.equal(facts.error, 'TypeError: upstream 503 for h');
    const history = cells(text.stdout.split('\n\n')[1]!);
    assert.deepEqual(history[0], ['attempt', 'status', 'started', 'finished', 'ms', 'worker', 'error']);
    assert.deepEqual([history[1]![0], history[1]![1], history[1]![6]], ['1', 'exception', 'TypeError: upstream 503 for h']);

    const json = JSON.parse((await runPgq(db.url, ['job', '--json', String(ids.steady)])).stdout);
    assert.equal(json.status, 'successful');
    assert.equal(json.payload, null, 'a successful job keeps no payload');
    assert.deepEqual(json.history.map((h: { status: string }) => h.status), ['successful']);

    const none = await runPgq(db.url, ['job', '9999999']);
    assert.equal(none.code, 1);
    assert.equal(none.stdout, '');
    assert.equal(none.stderr, 'pgq: no job 9999999 (never enqueued, or finished and pruned)\n');
  });

  test('job lists what a job waits for and what waits for it', async () => {
    const parent = await producer.enqueue('nobody_runs', {});
    const child = await producer.enqueue('nobody_runs', {}, { after: [parent] });
    const factsOf = async (id: number) => {
      const text = await runPgq(db.url, ['job', String(id)]);
      assert.equal(text.code, 0, text.stderr);
      return Object.fromEntries(cells(text.stdout.split('\n\n')[0]!).slice(1).map((r) => [r[0], r[1]]));
    };
    const childFacts = await factsOf(child);
    assert.deepEqual([childFacts.status, childFacts['waits for'], childFacts.children], ['blocked', String(parent), '-']);
    const parentFacts = await factsOf(parent);
    assert.deepEqual([parentFacts.status, parentFacts['waits for'], parentFacts.children], ['queued', '-', String(child)]);
    assert.equal((await runPgq(db.url, ['cancel', String(parent)])).code, 0);
    assert.equal((await factsOf(child)).status, 'canceled', 'canceling the parent canceled its child');
  });

  test('bad options and a missing schema are one line and exit 2', async () => {
    const bad = await runPgq(db.url, ['jobs', '--limit', 'many']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"many" is not an integer of at least 1/);
    const status = await runPgq(db.url, ['jobs', '--status', 'done']);
    assert.equal(status.code, 2);
    assert.match(status.stderr, /"done" is not a status \(scheduled, queued, picked, held, blocked, successful, exception, canceled\)/);

    const missing = await runPgq(db.url, ['--schema-name', 'nowhere', 'failures']);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, 'pgq: pgqueuer is not installed in schema "nowhere": run `npx pgq install --schema-name nowhere`\n');
  });
});

describe('pgq requeue (and its old name, pgq retry)', () => {
  test('a held job goes back under its id; failed and canceled ones run again as new jobs; the rest is reported', async () => {
    upstreamDown = false; // the fix is deployed
    const unknown = 987_654;
    const { code, stdout, stderr } = await runPgq(db.url, ['requeue', String(ids.held), String(ids.failed), String(ids.parked), String(ids.steady), String(unknown)]);
    // Two ids did nothing: the others are requeued, each miss is named, and the verdict is exit 1.
    assert.equal(code, 1, stderr);
    const match = /^requeued 3 job\(s\):\n {2}(\d+) \(held, same id\)\n {2}(\d+) -> (\d+)\n {2}(\d+) -> (\d+)\n$/.exec(stdout);
    assert.ok(match, stdout);
    assert.deepEqual([Number(match[1]), Number(match[2]), Number(match[4])], [ids.held, ids.failed, ids.parked]);
    assert.equal(stderr, `pgq: no job ${unknown} (never enqueued, or finished and pruned)\npgq: not requeued, job is successful: ${ids.steady}\n`);
    const [newFailed, newParked] = [Number(match[3]), Number(match[5])];
    assert.ok(newFailed > ids.parked && newParked > ids.parked, 'copies get new ids');

    const done = await producer.waitForAll([ids.held, newFailed, newParked], { timeoutMs: 20_000 });
    assert.deepEqual(done.map((d) => d.status), ['successful', 'successful', 'successful']);
    assert.deepEqual(
      received.sort((x, y) => x.id - y.id),
      [
        { id: ids.held, entrypoint: 'keeper', payload: { key: 'h' }, headers: { tenant: 'acme', 'pgq-fingerprint': '0123456789abcdef' }, priority: 7 },
        { id: newFailed, entrypoint: 'flaky', payload: { key: 'f' }, headers: { tenant: 'acme' }, priority: 0 },
        // Canceled while deferred: the copy runs now.
        { id: newParked, entrypoint: 'parked', payload: { key: 'c' }, headers: { why: 'later' }, priority: 0 },
      ],
    );
    const copy = await producer.getJob(newFailed);
    assert.equal(copy?.requeuedFrom, ids.failed);
    const held = await producer.getJob(ids.held);
    assert.deepEqual(held?.history.map((h) => h.status), ['exception', 'successful'], 'the held run stays in the history');
  });

  test('retry --json; an id given twice is requeued once; --held takes every held job of an entrypoint', async () => {
    const json = await runPgq(db.url, ['retry', '--json', String(ids.failed), String(ids.failed), '5000000']);
    assert.equal(json.code, 1, json.stderr);
    assert.equal(json.stderr, 'pgq: no job 5000000 (never enqueued, or finished and pruned)\n');
    const parsed = JSON.parse(json.stdout) as { requeued: Array<{ id: number; newId: number }>; notFound: number[] };
    assert.deepEqual(Object.keys(parsed), ['requeued', 'notFound']);
    assert.equal(parsed.requeued.length, 1);
    assert.equal(parsed.requeued[0]!.id, ids.failed);
    assert.deepEqual(parsed.notFound, [5_000_000]);
    await producer.waitFor(parsed.requeued[0]!.newId, { timeoutMs: 20_000 });

    upstreamDown = true;
    const holds = [await producer.enqueue('keeper', { key: 'x' }), await producer.enqueue('keeper', { key: 'y' })];
    const other = await producer.enqueue('keeper2', { key: 'z' });
    for (const id of [...holds, other]) assert.equal((await producer.waitFor(id, { timeoutMs: 20_000 })).status, 'held');
    upstreamDown = false;
    const all = await runPgq(db.url, ['requeue', '--held', '--entrypoint', 'keeper']);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout, `requeued 2 job(s):\n  ${holds[0]} (held, same id)\n  ${holds[1]} (held, same id)\n`);
    assert.deepEqual((await producer.waitForAll(holds, { timeoutMs: 20_000 })).map((d) => d.status), ['successful', 'successful']);
    assert.equal((await producer.getJob(other))?.status, 'held', 'another entrypoint\'s held job is left alone');
    assert.equal((await runPgq(db.url, ['requeue', '--held'])).stdout, `requeued 1 job(s):\n  ${other} (held, same id)\n`);
    assert.equal((await producer.waitFor(other, { timeoutMs: 20_000 })).status, 'successful');
  });

  test('ids and --held are one or the other; bad ids exit 2', async () => {
    for (const args of [['requeue'], ['requeue', '--held', '1'], ['requeue', '--entrypoint', 'keeper', '1']]) {
      const out = await runPgq(db.url, args);
      assert.equal(out.code, 2, args.join(' '));
    }
    assert.match((await runPgq(db.url, ['requeue'])).stderr, /give job ids, or --held/);
    const bad = await runPgq(db.url, ['retry', 'abc']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"abc" is not a job id/);
  });
});

describe('pgq delete, clear, pause, resume, enqueue', () => {
  test('delete removes waiting jobs and names the ones it kept', async () => {
    const waiting = await producer.enqueue('parked', { key: 'd' }, { executeAfter: 3_600_000 });
    const out = await runPgq(db.url, ['delete', String(waiting), String(ids.steady)]);
    assert.equal(out.code, 1, out.stderr);
    assert.equal(out.stdout, `deleted 1 job(s): ${waiting}\n`);
    assert.equal(out.stderr, `pgq: not deleted, job is successful: ${ids.steady}\n`);
    assert.equal(await producer.getJob(waiting), null);
  });

  test('clear asks unless --yes (refuses without a terminal), and deletes only waiting jobs', async () => {
    const a = await producer.enqueue('parked', { key: 'a' }, { executeAfter: 3_600_000 });
    const b = await producer.enqueue('other', { key: 'b' });
    const refused = await runPgq(db.url, ['clear', 'parked']);
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr, 'pgq: clear would delete 1 queued and scheduled job(s) of "parked": pass --yes to confirm\n');
    assert.ok(await producer.getJob(a), 'nothing deleted without --yes');

    const one = await runPgq(db.url, ['clear', 'parked', '--yes']);
    assert.equal(one.stdout, 'deleted 1 job(s)\n');
    assert.equal(await producer.getJob(a), null);
    assert.ok(await producer.getJob(b), 'another entrypoint is left alone');
    assert.equal((await runPgq(db.url, ['clear', '--yes'])).stdout, 'deleted 1 job(s)\n');
    assert.equal(await producer.getJob(b), null);
  });

  test('pause holds an entrypoint for the running worker and queue shows it; resume runs its jobs', async () => {
    const paused = await runPgq(db.url, ['pause', 'steady']);
    assert.equal(paused.stdout, 'paused "steady"\n');
    assert.deepEqual(await producer.pausedEntrypoints(), ['steady']);
    const id = await producer.enqueue('steady', { n: 2 });
    const queue = await runPgq(db.url, ['queue']);
    assert.match(queue.stdout, /steady\s+queued\s+0\s+1\s+paused/);
    // Another entrypoint still runs: once it has, the worker has had its chance at `id` too.
    const probe = await producer.enqueue('parked', { key: 'probe' });
    await producer.waitFor(probe, { timeoutMs: 20_000 });
    assert.equal((await producer.getJob(id))?.status, 'queued');

    assert.equal((await runPgq(db.url, ['resume', 'steady'])).stdout, 'resumed "steady"\n');
    assert.equal((await producer.waitFor(id, { timeoutMs: 20_000 })).status, 'successful');
    assert.deepEqual(await producer.pausedEntrypoints(), []);
  });

  test('enqueue checks the payload against the manifest when it has the job, then enqueues with the options', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgq-enqueue-'));
    const manifest = join(dir, 'pgq.manifest.json');
    writeFileSync(
      manifest,
      JSON.stringify({
        jobs: {
          parked: { schedule: null, payload: { type: 'object', properties: { key: { type: 'string', minLength: 1 } }, required: ['key'] } },
          nightly: { schedule: '0 3 * * *', payload: null },
          tenantJob: { schedule: null, grouped: true, payload: { type: 'object' } },
        },
      }),
    );
    const bad = await runPgq(db.url, ['enqueue', 'parked', '{"key":""}', '--manifest', manifest]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'pgq: invalid payload for "parked": key: Too small: expected string to have >=1 characters\n');
    const ungrouped = await runPgq(db.url, ['enqueue', 'tenantJob', '{}', '--manifest', manifest]);
    assert.deepEqual([ungrouped.code, ungrouped.stderr], [2, 'pgq: "tenantJob" is grouped by its schema\'s group function, which pgq enqueue cannot run: pass --group <key>\n']);
    const nightly = await runPgq(db.url, ['enqueue', 'nightly', '--manifest', manifest]);
    assert.equal(nightly.code, 2);
    assert.match(nightly.stderr, /"nightly" is a scheduled job/);
    const notJson = await runPgq(db.url, ['enqueue', 'parked', '{key', '--manifest', manifest]);
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /the payload is not JSON/);

    const ok = await runPgq(db.url, [
      'enqueue', 'parked', '{"key":"k"}', '--manifest', manifest, '--priority', '3', '--execute-after', '3600000', '--dedupe-key', 'k1', '--group', 'acme',
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const id = Number(/^enqueued job (\d+) \(payload checked against the manifest\)\n$/.exec(ok.stdout)?.[1]);
    const job = await producer.getJob(id);
    assert.deepEqual([job?.status, job?.priority, job?.payload, job?.headers?.['pgq-group']], ['scheduled', 3, { key: 'k' }, 'acme']);

    const skip = await runPgq(db.url, ['enqueue', 'parked', '{"key":"k2"}', '--manifest', '', '--dedupe-key', 'k1', '--on-conflict', 'skip']);
    assert.equal(skip.stdout, `enqueued job ${id}\n`, 'skip answers with the holder');
    const taken = await runPgq(db.url, ['enqueue', 'parked', '{"key":"k3"}', '--manifest', '', '--dedupe-key', 'k1']);
    assert.equal(taken.code, 2);
    assert.match(taken.stderr, /k1/);
    await producer.deleteJobs([id]);
    await until(async () => (await producer.getJob(id)) === null, 5_000, 'deleted');
  });
});
