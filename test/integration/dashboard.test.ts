import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { install, PgQueuer } from '../../src/index.js';
import { renderFrame } from '../../src/cli/dashboard-frame.js';
import type { DashboardSnapshot } from '../../src/postgres/ops/dashboard-snapshot.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { repoRoot } from '../support/project.js';
import { pgqMain, runPgq } from '../support/pgq-cli.js';
import { FAST, startWorker } from '../support/queue.js';
import { startInTerminal, type TerminalSession } from '../support/tmux.js';
import { until } from '../support/wait.js';

const FAILURE = 'smtp refused: 550';
const STALE_WORKER = '00000000-0000-4000-8000-00000000dead';

let db: TestDatabase;
let producer: PgQueuer;
let worker: PgQueuer;
let stopWorker: () => Promise<void>;
let failedIds: number[];
let scheduleNextRun: Date;

/**
 * Known work: 5 jobs of dash_email run by a worker (2 fail), dash_resize jobs nobody runs (3
 * queued, 1 deferred), a cron schedule, the worker registered, and a worker that died.
 */
before(async () => {
  db = await createTestDatabase();
  await install(db.url);
  producer = await PgQueuer.connect(db.url);
  worker = await PgQueuer.connect(db.url, FAST);
  worker.entrypoint('dash_email', async (job) => {
    if ((job.payload as { fail: boolean }).fail) throw new Error(`${FAILURE}\nthe rest of the story`);
  });
  worker.schedule('dash_nightly', '0 3 * * *', async () => {});
  stopWorker = startWorker(worker);

  const emails = await producer.enqueueMany(
    [false, true, false, true, false].map((fail, i) => ({ entrypoint: 'dash_email', payload: { fail, i } })),
  );
  failedIds = [emails[1]!, emails[3]!];
  await producer.enqueueMany([
    ...[1, 2, 3].map((n) => ({ entrypoint: 'dash_resize', payload: { n } })),
    { entrypoint: 'dash_resize', payload: { n: 4 }, executeAfter: 3_600_000 },
  ]);
  const outcomes = await producer.waitForAll(emails, { timeoutMs: 20_000 });
  assert.deepEqual(outcomes.map((o) => o.status), ['successful', 'exception', 'successful', 'exception', 'successful']);
  scheduleNextRun = (await until(async () => (await producer.listSchedules()).find((s) => s.name === 'dash_nightly'), 10_000, 'the schedule row')).nextRun;
  await until(async () => worker.workerId && (await db.pool.query('SELECT 1 FROM pgqueuer.workers WHERE id = $1', [worker.workerId])).rowCount, 10_000, 'the worker row');
  await db.pool.query(
    `INSERT INTO pgqueuer.workers (id, hostname, pid, entrypoints, heartbeat) VALUES ($1, 'gone-host', 4242, '{dash_email}', now() - interval '10 minutes')`,
    [STALE_WORKER],
  );
});

after(async () => {
  await stopWorker?.();
  await producer?.stop();
  await db.drop();
});

/** The lines of one section of a frame (its title line up to the next blank line), cells split. */
function section(frame: string, title: string): string[][] {
  const lines = frame.split('\n');
  const start = lines.findIndex((l) => l.startsWith(title));
  assert.notEqual(start, -1, `no ${title} section in:\n${frame}`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '');
  return lines.slice(start + 1, end === -1 ? undefined : end).map((l) => l.trim().split(/\s{2,}/));
}

function rowOf(rows: string[][], first: string): string[] {
  const row = rows.find((r) => r[0] === first);
  assert.ok(row, `no row for ${first} in ${JSON.stringify(rows)}`);
  return row;
}

const instant = (d: Date): string => `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;

describe('pgq dashboard --once', () => {
  test('prints one plain frame with the real queue, throughput, failures, workers and schedules', async () => {
    const { code, stdout, stderr } = await runPgq(db.url, ['dashboard', '--once']);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    assert.doesNotMatch(stdout, /[\u0000-\u0009\u000b-\u001f\u007f]/, 'no escape codes or other control characters');
    assert.match(stdout.split('\n')[0]!, /^pgqueuer dashboard {2}\| {2}schema pgqueuer {2}\| {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);

    const queue = section(stdout, 'QUEUE');
    assert.deepEqual(queue[0], ['entrypoint', 'scheduled', 'queued', 'picked', 'held', 'blocked', 'total']);
    assert.deepEqual(rowOf(queue, 'dash_resize'), ['dash_resize', '1', '3', '0', '0', '0', '4']);
    assert.equal(queue.length, 2, 'dash_email has no live jobs left');

    const throughput = section(stdout, 'THROUGHPUT');
    assert.deepEqual(throughput[0], ['entrypoint', 'per second', 'finished', 'failed']);
    assert.deepEqual(rowOf(throughput, 'dash_email'), ['dash_email', (5 / 60).toFixed(2), '5', '2']);

    const failures = section(stdout, 'FAILURES');
    assert.deepEqual(failures[0], ['job', 'entrypoint', 'attempt', 'finished', 'error']);
    // Both may finish in one completion batch (same finished_at), so compare in id order.
    assert.deepEqual(
      failures.slice(1).map(([id, entrypoint, attempt, , error]) => [Number(id), entrypoint, attempt, error]).sort(),
      failedIds.map((id) => [id, 'dash_email', '1', `Error: ${FAILURE}`]),
      'first line of the message only',
    );
    assert.doesNotMatch(stdout, /the rest of the story/);

    const workers = section(stdout, 'WORKERS');
    assert.deepEqual(workers[0], ['id', 'hostname', 'pid', 'heartbeat', 'state', 'entrypoints']);
    const live = rowOf(workers, worker.workerId!.slice(0, 8));
    assert.deepEqual([live[1], live[2], live[4], live[5]], [hostname(), String(process.pid), 'ok', 'dash_email,dash_nightly']);
    assert.match(live[3]!, /^\d\.\ds ago$/);
    assert.deepEqual(rowOf(workers, '00000000'), ['00000000', 'gone-host', '4242', rowOf(workers, '00000000')[3]!, 'STALE', 'dash_email']);
    assert.match(rowOf(workers, '00000000')[3]!, /^1\dm \d\ds ago$/);
    assert.match(stdout, /^WORKERS {2}2 registered; stale: no heartbeat for 30 s$/m);

    const schedules = section(stdout, 'SCHEDULES');
    assert.deepEqual(schedules[0], ['name', 'expression', 'timezone', 'next run', 'when', 'last run']);
    const nightly = rowOf(schedules, 'dash_nightly');
    assert.deepEqual([nightly[1], nightly[2], nightly[3], nightly[5]], ['0 3 * * *', 'UTC', instant(scheduleNextRun), '-']);
    assert.match(nightly[4]!, /^in \d/);
  });

  test('--stale-after decides which workers are stale', async () => {
    const { code, stdout } = await runPgq(db.url, ['dashboard', '--once', '--stale-after', '3600']);
    assert.equal(code, 0);
    assert.equal(rowOf(section(stdout, 'WORKERS'), '00000000')[4], 'ok');
  });

  test('without a terminal, the live view refuses with one line and exit 2; --help describes it', async () => {
    const refused = await runPgq(db.url, ['dashboard']);
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr, 'pgq: the live dashboard needs an interactive terminal; pass --once to print a single frame\n');
    assert.equal(refused.stdout, '');

    const help = await runPgq(db.url, ['dashboard', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: pgq dashboard \[options\]/);
    for (const option of ['--once', '--interval <ms>', '--stale-after <seconds>']) assert.ok(help.stdout.includes(option), option);

    const badInterval = await runPgq(db.url, ['dashboard', '--once', '--interval', '5']);
    assert.equal(badInterval.code, 2);
    assert.match(badInterval.stderr, /"5" is not an integer of at least 100/);
  });

  test('an error message cannot smuggle escape sequences to the terminal', async (t) => {
    t.after(() => db.pool.query(`DELETE FROM pgqueuer.job_log WHERE job_id = 999999`));
    await db.pool.query(
      `INSERT INTO pgqueuer.job_log (job_id, entrypoint, priority, status, attempt, error, created_at)
       VALUES (999999, 'dash_evil', 0, 'exception', 1, $1, now())`,
      [JSON.stringify({ name: 'Error', message: 'owned \u001b]0;title\u0007 \u001b[2J done' })],
    );
    const { code, stdout } = await runPgq(db.url, ['dashboard', '--once']);
    assert.equal(code, 0);
    assert.doesNotMatch(stdout, /[\u001b\u0007]/);
    assert.match(stdout, /^ {2}999999 +dash_evil +1 .*Error: owned {2}\]0;title {3}\[2J done$/m);
  });
});

describe('pgq dashboard in a terminal', () => {
  const dashboard = (extra: string[] = []) => [process.execPath, '--import', 'tsx', pgqMain, 'dashboard', '--interval', '200', ...extra];
  const env = () => ({ DATABASE_URL: db.url, PGQ_SCHEMA: 'pgqueuer' });

  test('shows the queue, refreshes as it changes, and q quits restoring the screen', async () => {
    let term: TerminalSession | undefined;
    try {
      term = await startInTerminal(dashboard(), { width: 160, height: 50, cwd: repoRoot, env: env() });
      const first = await term.waitForScreen(
        (s) => /dash_resize +1 +3 +0 +0 +0 +4\b/.test(s) && s.includes('SCHEDULES'),
        20_000,
        'the first frame',
      );
      assert.match(first.split('\n')[0]!, /^pgqueuer dashboard {2}\| .* \| {2}every 200 ms {2}\| {2}q to quit$/);
      assert.ok(first.includes(FAILURE) && first.includes('dash_nightly') && first.includes(worker.workerId!.slice(0, 8)), first);

      await producer.enqueueMany([5, 6].map((n) => ({ entrypoint: 'dash_resize', payload: { n } })));
      await term.waitForScreen((s) => /dash_resize +1 +5 +0 +0 +0 +6\b/.test(s), 10_000, 'the new count on screen');

      await term.sendKeys('q');
      assert.equal(await term.exited(10_000), 0);
      // Back on the normal screen, which the dashboard never wrote to: only the exit line shows.
      assert.equal((await term.screen()).trim(), '[exit 0]');
    } finally {
      await term?.kill();
      await db.pool.query(`DELETE FROM pgqueuer.jobs WHERE entrypoint = 'dash_resize' AND payload->>'n' IN ('5', '6')`);
    }
  });

  test('a narrow, short terminal gets lines cut to its width and no scrolling; Ctrl-C quits', async () => {
    let term: TerminalSession | undefined;
    try {
      term = await startInTerminal(dashboard(), { width: 50, height: 12, cwd: repoRoot, env: env() });
      const screen = await term.waitForScreen((s) => s.includes('dash_resize'), 20_000, 'the first frame');
      const rows = screen.split('\n');
      // Unwrapped: each frame line is exactly one row, the header cut at 50 characters.
      assert.match(rows[0]!, /^pgqueuer dashboard {2}\| {2}schema pgqueuer {2}\| {2}\d{4}-\d\d$/);
      assert.equal(rows[1], '');
      assert.match(rows[2]!, /^QUEUE {2}live, held and blocked jobs per/);
      assert.ok(rows.every((r) => r.length <= 50), screen);

      await term.sendKeys('C-c');
      assert.equal(await term.exited(10_000), 0);
    } finally {
      await term?.kill();
    }
  });
});

describe('frame layout', () => {
  const snapshot = (): DashboardSnapshot => ({
    schema: 'pgqueuer',
    now: new Date('2026-05-03T12:00:00Z'),
    depth: [
      { entrypoint: 'a', status: 'queued', count: 10_000, capped: true },
      { entrypoint: 'a', status: 'picked', count: 2, capped: false },
    ],
    depthCap: 10_000,
    paused: [],
    throughput: [],
    throughputWindowSeconds: 60,
    failures: [],
    failureScan: 10_000,
    workers: [],
    workerTotal: 0,
    schedules: [],
    scheduleTotal: 0,
  });

  test('capped counts are marked, and empty sections say so', () => {
    const text = renderFrame(snapshot(), { staleAfterSeconds: 30 }).map((l) => l.text).join('\n');
    assert.match(text, /^ {2}a {11}0 {10}10000\+ {2}2 {7}0 {5}0 {8}10002\+$/m);
    assert.match(text, /counts stop at 10000: n\+ means more/);
    assert.match(text, /\(nothing finished\)/);
    assert.match(text, /\(none among the newest 10000 log entries\)/);
    assert.match(text, /\(no workers\)/);
    assert.match(text, /\(no schedules\)/);
  });

  test('held and blocked jobs have a column; paused entrypoints are marked, and listed even with nothing waiting', () => {
    const frame = {
      ...snapshot(),
      depth: [...snapshot().depth, { entrypoint: 'c', status: 'held' as const, count: 3, capped: false }, { entrypoint: 'c', status: 'blocked' as const, count: 2, capped: false }],
      paused: ['b', 'c'],
    };
    const rows = renderFrame(frame, { staleAfterSeconds: 30 }).map((l) => l.text.trim().split(/\s{2,}/));
    const at = rows.findIndex((r) => r[0] === 'entrypoint');
    assert.deepEqual(rows.slice(at, at + 4), [
      ['entrypoint', 'scheduled', 'queued', 'picked', 'held', 'blocked', 'total', 'state'],
      ['a', '0', '10000+', '2', '0', '0', '10002+'],
      ['b', '0', '0', '0', '0', '0', '0', 'paused'],
      ['c', '0', '0', '0', '3', '2', '5', 'paused'],
    ]);
  });

  test('a failed refresh keeps the last frame under an alert line', () => {
    const lines = renderFrame(snapshot(), { staleAfterSeconds: 30, intervalMs: 1000, error: 'connection refused\u001b[2J' });
    assert.deepEqual(lines[1], { text: 'refresh failed, retrying: connection refused [2J', style: 'alert' });
    assert.ok(lines.some((l) => l.text.startsWith('QUEUE')));
  });
});
