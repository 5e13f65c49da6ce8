/**
 * The contract suite of the storage port (`QueueBackend`), written once and run against every
 * adapter, in the manner of River's riverdrivertest: it drives the port directly, never the
 * PgQueuer facade, and observes only through port methods. Each test gets a fresh, empty
 * backend and a way to let time pass (`advance`), so deferred jobs, heartbeats, token buckets,
 * retention and schedules are tested without waiting on the wall clock.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { DuplicateJobError } from '../../src/errors.js';
import type { QueueBackend } from '../../src/port/queue-backend.js';
import type {
  ClaimedJob,
  Completion,
  EnqueueRow,
  EntrypointClaimPolicy,
  ScheduleRegistration,
} from '../../src/port/rows.js';
import { tickPayload } from '../../src/port/system-records.js';
import { GROUP_HEADER, PARENTS_HEADER } from '../../src/port/rows.js';
import { deferred, until, within } from '../support/wait.js';

/** One test's backend: fresh and empty, with its own notion of passing time. */
export interface Harness {
  backend: QueueBackend;
  /** Time passes by `ms` for everything the backend compares with its now. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

export interface Adapter {
  name: string;
  open(): Promise<Harness>;
}

/** How long to wait for a notification before failing: generous, it normally takes milliseconds. */
const EVENT_MS = 5_000;
/**
 * Slack for the wall clock: PostgreSQL's now() moves on while a test runs (the harness only
 * shifts stored times back), the in-memory clock does not. Bounds allow this much drift.
 */
const DRIFT_MS = 1_000;

interface RowOptions {
  payload?: unknown;
  priority?: number;
  headers?: Record<string, unknown>;
  executeAt?: Date;
  delayMs?: number;
  dedupeKey?: string;
  onConflict?: EnqueueRow['onConflict'];
  dedupeWindowMs?: number;
  after?: EnqueueRow['after'];
  runOnParentFailure?: boolean;
}

/** A job of group `group` (its header), with `o`'s other options. */
function grouped(entrypoint: string, group: string, o: RowOptions = {}): EnqueueRow {
  return row(entrypoint, { ...o, headers: { ...o.headers, [GROUP_HEADER]: group } });
}

/** Claimed jobs by group: group → how many. */
function perGroup(jobs: readonly ClaimedJob[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const j of jobs) {
    const g = String(j.headers[GROUP_HEADER] ?? '');
    counts[g] = (counts[g] ?? 0) + 1;
  }
  return counts;
}

function row(entrypoint: string, o: RowOptions = {}): EnqueueRow {
  return {
    entrypoint,
    priority: o.priority ?? 0,
    payload: JSON.stringify(o.payload ?? {}),
    headers: o.headers === undefined ? null : JSON.stringify(o.headers),
    executeAt: o.executeAt === undefined ? null : o.executeAt.toISOString(),
    delayMs: o.delayMs ?? null,
    dedupeKey: o.dedupeKey ?? null,
    onConflict: o.onConflict ?? 'error',
    dedupeWindowMs: o.dedupeWindowMs ?? null,
    after: o.after ?? null,
    runOnParentFailure: o.runOnParentFailure ?? false,
  };
}

function limits(name: string, o: Partial<Omit<EntrypointClaimPolicy, 'name'>> = {}): EntrypointClaimPolicy {
  return { name, concurrencyLimit: o.concurrencyLimit ?? 0, ratePerSecond: o.ratePerSecond ?? 0, burst: o.burst ?? 0, groupConcurrency: o.groupConcurrency ?? 0 };
}

/** A claim of up to `capacity` jobs of `entrypoints` (names: no limits). */
async function claim(
  backend: QueueBackend,
  workerId: string,
  entrypoints: ReadonlyArray<string | EntrypointClaimPolicy>,
  capacity = 100,
  promote = true,
) {
  return backend.claim({
    workerId,
    capacity,
    entrypoints: entrypoints.map((e) => (typeof e === 'string' ? limits(e) : e)),
    promote,
  });
}

/** The claimed jobs' ids, ascending: the port does not promise an order within one batch. */
function idsOf(jobs: readonly ClaimedJob[]): number[] {
  return jobs.map((j) => j.id).sort((a, b) => a - b);
}

function sorted(ids: readonly number[]): number[] {
  return [...ids].sort((a, b) => a - b);
}

function outcome(job: ClaimedJob, o: Omit<Partial<Completion>, 'id' | 'attempt' | 'entrypoint'> = {}): Completion {
  return { id: job.id, attempt: job.attempt, entrypoint: job.entrypoint, outcome: 'successful', durationMs: 1, ...o };
}

/** Claims exactly one job (the test set things up so there is one) and returns it. */
async function claimOne(backend: QueueBackend, workerId: string, entrypoint: string | EntrypointClaimPolicy): Promise<ClaimedJob> {
  const { jobs } = await claim(backend, workerId, [entrypoint], 1);
  assert.equal(jobs.length, 1, 'expected one job to be claimed');
  return jobs[0]!;
}

async function statusOf(backend: QueueBackend, entrypoint: string, id: number): Promise<string | undefined> {
  return (await backend.listLiveJobs(entrypoint, 1_000)).find((j) => j.id === id)?.status;
}

/**
 * Lets `n` calls really run at once: a pooled backend opens its connections first (otherwise
 * the first call runs alone while the others wait for theirs, and no race is tested).
 */
async function warmUp(backend: QueueBackend, n: number): Promise<void> {
  await Promise.all([...Array(n)].map(() => backend.pendingCount(['warm-up'])));
}

function schedule(name: string, nextRun: Date, o: Partial<ScheduleRegistration> = {}): ScheduleRegistration {
  return { name, expression: '*/5 * * * *', timezone: 'UTC', missed: 'once', nextRun, ...o };
}

export function portContract(adapter: Adapter): void {
  /** A test on a fresh backend, always closed. */
  function contract(name: string, body: (h: Harness) => Promise<void>): void {
    test(name, { timeout: 30_000 }, async () => {
      const h = await adapter.open();
      try {
        await body(h);
      } finally {
        await h.close();
      }
    });
  }

  describe(`storage port contract on ${adapter.name}`, () => {
    describe('claim', () => {
      contract('claims the highest priority first, then the oldest (lowest id)', async ({ backend }) => {
        const w = randomUUID();
        const ids = await backend.enqueue([0, 5, 1, 5, 9].map((priority) => row('ordered', { priority })));
        const order: number[] = [];
        for (let i = 0; i < ids.length; i++) order.push((await claimOne(backend, w, 'ordered')).id);
        assert.deepEqual(order, [ids[4], ids[1], ids[3], ids[2], ids[0]]);
        assert.deepEqual((await claim(backend, w, ['ordered'])).jobs, []);
      });

      contract('claim order (priority desc, then id asc) holds across entrypoints', async ({ backend }) => {
        const w = randomUUID();
        const [a1, b5, a5, b0, b9] = await backend.enqueue([
          row('a', { priority: 1 }),
          row('b', { priority: 5 }),
          row('a', { priority: 5 }),
          row('b', { priority: 0 }),
          row('b', { priority: 9 }),
        ]);
        // The best three of both entrypoints together, not the best three of each.
        assert.deepEqual(idsOf((await claim(backend, w, ['a', 'b'], 3)).jobs), sorted([b9!, b5!, a5!]));
        assert.deepEqual((await claimOne(backend, w, limits('a'))).id, a1);
        assert.deepEqual(idsOf((await claim(backend, w, ['a', 'b'], 3)).jobs), [b0]);
      });

      contract('claims at most capacity jobs, counted across all entrypoints', async ({ backend }) => {
        const w = randomUUID();
        await backend.enqueue([...Array(4)].flatMap(() => [row('a'), row('b')]));
        assert.equal((await claim(backend, w, ['a', 'b'], 3)).jobs.length, 3);
        assert.equal((await claim(backend, w, ['a', 'b'], 1)).jobs.length, 1);
        assert.equal((await claim(backend, w, ['a', 'b'], 10)).jobs.length, 4);
        assert.equal((await claim(backend, w, ['a', 'b'], 10)).jobs.length, 0);
      });

      contract('a claim reports the size of its payloads as JSON text, and hands them over parsed', async ({ backend }) => {
        const w = randomUUID();
        await backend.enqueue([row('sized', { payload: 'hello' }), row('sized', { payload: 12345 }), row('sized', { payload: 'é' })]);
        const { jobs, payloadBytes } = await claim(backend, w, ['sized']);
        assert.deepEqual(jobs.map((j) => j.payload).sort(), [12345, 'hello', 'é']);
        // "hello" (7), 12345 (5), "é" (3): characters of the stored JSON.
        assert.equal(payloadBytes, 15);
        assert.equal((await claim(backend, w, ['sized'])).payloadBytes, 0);
      });

      contract('claims only jobs of the requested entrypoints', async ({ backend }) => {
        const w = randomUUID();
        const [a, b] = await backend.enqueue([row('a'), row('b')]);
        assert.deepEqual(idsOf((await claim(backend, w, ['a'])).jobs), [a]);
        assert.deepEqual(idsOf((await claim(backend, w, ['a', 'c'])).jobs), []);
        assert.deepEqual(idsOf((await claim(backend, w, ['b'])).jobs), [b]);
      });

      contract('concurrent claims never hand one job to two workers', async ({ backend }) => {
        const ids = await backend.enqueue([...Array(20)].map((_, i) => row('shared', { priority: i % 3 })));
        await warmUp(backend, 4);
        const claims = await Promise.all([...Array(4)].map(() => claim(backend, randomUUID(), ['shared'], 6)));
        const claimed = claims.flatMap((c) => c.jobs.map((j) => j.id));
        assert.equal(new Set(claimed).size, claimed.length, `claimed twice: ${claimed}`);
        assert.equal(claimed.length, 20);
        assert.deepEqual(sorted(claimed), sorted(ids));
      });

      contract('a claimed job carries its payload, headers, priority, creation time, attempt 1 and no rescues', async ({ backend }) => {
        const before = await backend.databaseNow();
        const payload = { text: 'héllo ✓', n: 1.5, list: [1, 'x', null, true], nested: { deep: { er: [] } } };
        const [withHeaders, plain] = await backend.enqueue([
          row('carry', { payload, priority: 3, headers: { trace: 'abc', n: 2 } }),
          row('carry', { payload: [1, 2] }),
        ]);
        const { jobs } = await claim(backend, randomUUID(), ['carry']);
        const byId = new Map(jobs.map((j) => [j.id, j]));
        const a = byId.get(withHeaders!)!;
        const b = byId.get(plain!)!;
        assert.deepEqual(
          [a.entrypoint, a.priority, a.payload, a.headers, a.attempt, a.rescues, a.cancelRequested],
          ['carry', 3, payload, { trace: 'abc', n: 2 }, 1, 0, false],
        );
        assert.deepEqual([b.payload, b.headers, b.priority], [[1, 2], {}, 0]);
        assert.equal(typeof a.createdAtMs, 'number');
        const skew = a.createdAtMs - before.getTime();
        assert.ok(skew > -1 && skew < DRIFT_MS, `createdAtMs ${a.createdAtMs} is ${skew} ms after the time before the enqueue`);
      });

      contract('payloads, headers and results read back as PostgreSQL stores JSON (jsonb key order)', async ({ backend }) => {
        const w = randomUUID();
        // jsonb keeps one value per key (the last) and orders keys by length, then bytewise.
        await backend.enqueue([{ ...row('json'), payload: '{"zebra":1,"a":2,"mm":{"yy":1,"b":2},"a":5}', headers: '{"zz":1,"b":2}' }]);
        const job = await claimOne(backend, w, 'json');
        assert.equal(JSON.stringify(job.payload), '{"a":5,"mm":{"b":2,"yy":1},"zebra":1}');
        assert.equal(JSON.stringify(job.headers), '{"b":2,"zz":1}');
        await backend.complete(w, [outcome(job, { result: '{"yy":1,"b":2}' })]);
        const [done] = (await backend.outcomes([job.id])).finished;
        assert.equal(JSON.stringify(done!.result), '{"b":2,"yy":1}');
      });

      contract('queuedMs is how long the job was runnable before the claim', async ({ backend, advance }) => {
        await backend.enqueue([row('waited'), row('deferred', { delayMs: 1_000 })]);
        await advance(3_000);
        const { jobs } = await claim(backend, randomUUID(), ['waited', 'deferred']);
        const ms = new Map(jobs.map((j) => [j.entrypoint, j.queuedMs]));
        const waited = ms.get('waited')!;
        const deferredMs = ms.get('deferred')!;
        assert.ok(waited >= 3_000 && waited < 3_000 + DRIFT_MS, `waited: queuedMs ${waited}`);
        // Runnable since it was due, not since it was enqueued.
        assert.ok(deferredMs >= 2_000 && deferredMs < 2_000 + DRIFT_MS, `deferred: queuedMs ${deferredMs}`);
      });

      contract('a deferred job is scheduled and not claimed before it is due', async ({ backend, advance }) => {
        const w = randomUUID();
        const now = await backend.databaseNow();
        const [relative, absolute] = await backend.enqueue([
          row('later', { delayMs: 10_000 }),
          row('later', { executeAt: new Date(now.getTime() + 20_000) }),
        ]);
        assert.equal(await statusOf(backend, 'later', relative!), 'scheduled');
        assert.equal(await statusOf(backend, 'later', absolute!), 'scheduled');
        const dueIn = await backend.nextDueInMs(['later']);
        assert.ok(dueIn !== null && dueIn > 10_000 - DRIFT_MS && dueIn <= 10_000, `nextDueInMs ${dueIn}`);
        assert.equal(await backend.pendingCount(['later']), 0);
        assert.deepEqual((await claim(backend, w, ['later'])).jobs, []);
        await advance(9_000);
        assert.deepEqual((await claim(backend, w, ['later'])).jobs, []);
        assert.equal(await statusOf(backend, 'later', relative!), 'scheduled');
      });

      contract('a due deferred job waits for a claim that promotes; runnable jobs do not', async ({ backend, advance }) => {
        const w = randomUUID();
        const [due, now] = await backend.enqueue([row('lean', { delayMs: 1_000 }), row('lean', { priority: -1 })]);
        await advance(1_000);
        // The lean claim (a NOTIFY announced runnable jobs) takes only what is runnable now...
        assert.deepEqual(idsOf((await claim(backend, w, ['lean'], 100, false)).jobs), [now]);
        // ...and the due deferred job is promoted by the next claim that asks for it.
        assert.deepEqual(idsOf((await claim(backend, w, ['lean'], 100, false)).jobs), []);
        assert.deepEqual(idsOf((await claim(backend, w, ['lean'], 100, true)).jobs), [due]);
      });

      contract('a deferred job is promoted and claimed once due, and counts as pending', async ({ backend, advance }) => {
        const w = randomUUID();
        const now = await backend.databaseNow();
        const [relative, absolute] = await backend.enqueue([
          row('later', { delayMs: 10_000 }),
          row('later', { executeAt: new Date(now.getTime() + 20_000) }),
        ]);
        await advance(10_000);
        assert.equal(await backend.pendingCount(['later']), 1);
        // A claim for other entrypoints does not take it.
        assert.deepEqual((await claim(backend, w, ['other'])).jobs, []);
        assert.deepEqual(idsOf((await claim(backend, w, ['later'])).jobs), [relative]);
        const dueIn = await backend.nextDueInMs(['later']);
        assert.ok(dueIn !== null && dueIn > 10_000 - DRIFT_MS && dueIn <= 10_000, `nextDueInMs ${dueIn}`);
        await advance(10_000);
        assert.deepEqual(idsOf((await claim(backend, w, ['later'])).jobs), [absolute]);
        assert.equal(await backend.nextDueInMs(['later']), null);
      });
    });

    describe('limits', () => {
      contract('concurrencyLimit caps the running jobs of an entrypoint across worker ids', async ({ backend }) => {
        const [w1, w2] = [randomUUID(), randomUUID()];
        const limited = limits('limited', { concurrencyLimit: 2 });
        await backend.enqueue([...Array(5)].map(() => row('limited')));
        const first = await claim(backend, w1, [limited], 5);
        assert.equal(first.jobs.length, 2);
        assert.equal((await claim(backend, w2, [limited], 5)).jobs.length, 0, 'the other worker sees the limit reached');
        assert.deepEqual(await backend.complete(w1, [outcome(first.jobs[0]!)]), new Set([first.jobs[0]!.id]));
        assert.equal((await claim(backend, w2, [limited], 5)).jobs.length, 1, 'one slot freed');
        assert.equal((await claim(backend, w1, [limited], 5)).jobs.length, 0);
        // Another entrypoint in the same claim is not held back by the limited one.
        await backend.enqueue([row('free'), row('free'), row('free')]);
        assert.equal((await claim(backend, w1, [limited, limits('free')], 5)).jobs.length, 3);
      });

      contract('concurrencyLimit holds under concurrent claims by different workers', async ({ backend }) => {
        await backend.enqueue([...Array(10)].map(() => row('limited')));
        const limited = limits('limited', { concurrencyLimit: 3 });
        await warmUp(backend, 5);
        const claims = await Promise.all([...Array(5)].map(() => claim(backend, randomUUID(), [limited], 5)));
        assert.equal(claims.reduce((n, c) => n + c.jobs.length, 0), 3);
      });

      contract('rate limit: a token bucket gives its burst at once, then refills as time passes', async ({ backend, advance }) => {
        const w = randomUUID();
        const rated = limits('rated', { ratePerSecond: 1, burst: 2 });
        await backend.enqueue([...Array(6)].map(() => row('rated')));
        const burst = await claim(backend, w, [rated], 5);
        assert.equal(burst.jobs.length, 2);
        assert.deepEqual(burst.rateLimited, ['rated']);
        const empty = await claim(backend, randomUUID(), [rated], 5);
        assert.equal(empty.jobs.length, 0, 'no token left, for any worker');
        assert.deepEqual(empty.rateLimited, ['rated']);
        await advance(1_000);
        assert.equal((await claim(backend, w, [rated], 5)).jobs.length, 1, 'one token per second');
        await advance(10_000);
        const refilled = await claim(backend, w, [rated], 5);
        assert.equal(refilled.jobs.length, 2, 'the bucket holds at most its burst');
        assert.deepEqual(refilled.rateLimited, ['rated']);
      });

      contract('a token bucket is shared by concurrent claims of different workers', async ({ backend }) => {
        await backend.enqueue([...Array(10)].map(() => row('rated')));
        const rated = limits('rated', { ratePerSecond: 0.001, burst: 3 });
        await warmUp(backend, 5);
        const claims = await Promise.all([...Array(5)].map(() => claim(backend, randomUUID(), [rated], 5)));
        assert.equal(claims.reduce((n, c) => n + c.jobs.length, 0), 3);
      });

      contract('rateLimited names only entrypoints whose runnable jobs were left waiting for tokens', async ({ backend }) => {
        const w = randomUUID();
        await backend.enqueue([row('rated'), row('rated'), row('plain'), row('plain'), row('plain')]);
        const result = await claim(backend, w, [limits('rated', { ratePerSecond: 1, burst: 2 }), limits('plain')], 10);
        assert.equal(result.jobs.length, 5);
        assert.deepEqual(result.rateLimited, [], 'every runnable job was claimed');
        await backend.enqueue([row('rated')]);
        const held = await claim(backend, w, [limits('rated', { ratePerSecond: 1, burst: 2 }), limits('plain')], 10);
        assert.deepEqual([held.jobs.length, held.rateLimited], [0, ['rated']]);
      });
    });

    describe('group limits', () => {
      contract('groupConcurrency caps the running jobs of each group across worker ids; jobs without a group are not limited', async ({ backend }) => {
        const [w1, w2] = [randomUUID(), randomUUID()];
        const policy = limits('mail', { groupConcurrency: 2 });
        await backend.enqueue([
          ...[...Array(5)].map(() => grouped('mail', 'a')),
          ...[...Array(5)].map(() => grouped('mail', 'b')),
          ...[...Array(3)].map(() => row('mail')),
        ]);
        const first = await claim(backend, w1, [policy], 100);
        assert.deepEqual(perGroup(first.jobs), { a: 2, b: 2, '': 3 });
        assert.equal((await claim(backend, w2, [policy], 100)).jobs.length, 0, 'the other worker sees both groups at their limit');
        const a = first.jobs.find((j) => j.headers[GROUP_HEADER] === 'a')!;
        assert.deepEqual(await backend.complete(w1, [outcome(a)]), new Set([a.id]));
        assert.deepEqual(perGroup((await claim(backend, w2, [policy], 100)).jobs), { a: 1 }, 'one slot of group a freed');
      });

      contract('groups take turns job by job: each group\'s next job comes up once per turn', async ({ backend }) => {
        const w = randomUUID();
        const policy = limits('mail', { groupConcurrency: 2 });
        await backend.enqueue([...[...Array(6)].map(() => grouped('mail', 'a')), ...[...Array(4)].map(() => grouped('mail', 'b'))]);
        const served: string[] = [];
        for (let i = 0; i < 5; i++) {
          const { jobs } = await claim(backend, w, [policy], 2);
          served.push(jobs.map((j) => j.headers[GROUP_HEADER]).join());
          await backend.complete(w, jobs.map((j) => outcome(j)));
        }
        assert.deepEqual(served, ['a,b', 'a,b', 'a,b', 'a,b', 'a,a'], 'a backlog in group a does not hold group b back');
      });

      contract('a group that arrives behind a backlog starts at the current turn, not behind it', async ({ backend }) => {
        const w = randomUUID();
        const policy = limits('mail', { groupConcurrency: 1 });
        await backend.enqueue([...Array(10)].map(() => grouped('mail', 'a')));
        for (let i = 0; i < 4; i++) await backend.complete(w, (await claim(backend, w, [policy], 1)).jobs.map((j) => outcome(j)));
        await backend.enqueue([grouped('mail', 'b'), grouped('mail', 'b')]);
        const served: string[] = [];
        for (let i = 0; i < 4; i++) {
          const { jobs } = await claim(backend, w, [limits('mail', { groupConcurrency: 2 })], 1);
          served.push(String(jobs[0]!.headers[GROUP_HEADER]));
          await backend.complete(w, jobs.map((j) => outcome(j)));
        }
        assert.deepEqual(served, ['a', 'b', 'a', 'b']);
        await backend.enqueue([grouped('mail', 'c')]);
        const rest = await claim(backend, w, [policy], 10);
        assert.deepEqual(perGroup(rest.jobs), { a: 1, c: 1 }, 'the new group is served with the next turn');
      });

      contract('once nothing is queued, a new group starts after the turns served: a job deferred meanwhile keeps its place', async ({ backend, advance }) => {
        const w = randomUUID();
        const policy = limits('mail', { groupConcurrency: 1 });
        await backend.enqueue([...Array(6)].map(() => grouped('mail', 'a')));
        for (let i = 0; i < 4; i++) await backend.complete(w, (await claim(backend, w, [policy], 1)).jobs.map((j) => outcome(j)));
        const [deferred] = await backend.enqueue([grouped('mail', 'x', { delayMs: 5_000 })]);
        for (let i = 0; i < 2; i++) await backend.complete(w, (await claim(backend, w, [policy], 1)).jobs.map((j) => outcome(j)));
        await backend.enqueue([grouped('mail', 'f'), grouped('mail', 'f'), grouped('mail', 'f')]);
        await advance(6_000);
        const order: number[] = [];
        for (let i = 0; i < 2; i++) {
          const { jobs } = await claim(backend, w, [policy], 1);
          order.push(jobs[0]!.id);
          await backend.complete(w, jobs.map((j) => outcome(j)));
        }
        assert.ok(order.includes(deferred!), `the deferred job runs among the first two, not behind group f (${order})`);
      });

      contract('a group held at its limit with a long backlog does not stall the other groups', async ({ backend }) => {
        const policy = limits('mail', { groupConcurrency: 1 });
        await backend.enqueue(['a', 'b'].flatMap((g) => [...Array(12)].map((_, n) => grouped('mail', g, { payload: n }))));
        const stuck = await claimOne(backend, randomUUID(), policy);
        assert.equal(stuck.headers[GROUP_HEADER], 'a');
        // Group b moves on while a's running job holds a back: a's queued jobs come first in
        // turn order, more of them with every turn b is served.
        const w = randomUUID();
        const served: unknown[] = [];
        for (let i = 0; i < 10; i++) {
          const { jobs } = await claim(backend, w, [policy], 1);
          assert.equal(jobs.length, 1, `claim ${i + 1} finds group b's next job`);
          served.push(jobs[0]!.payload);
          await backend.complete(w, [outcome(jobs[0]!)]);
        }
        assert.deepEqual(served, [...Array(10).keys()], 'group b in order');
      });

      contract('a replace that changes a job\'s group lines it up in the new group', async ({ backend }) => {
        const w = randomUUID();
        const policy = limits('mail', { groupConcurrency: 1 });
        await backend.enqueue([row('mail', { dedupeKey: 'k' }), grouped('mail', 'a', { dedupeKey: 'g' })]);
        await backend.enqueue([grouped('mail', 'b', { dedupeKey: 'k', onConflict: 'replace' }), row('mail', { dedupeKey: 'g', onConflict: 'replace' })]);
        const { jobs } = await claim(backend, w, [policy], 10);
        assert.deepEqual(perGroup(jobs), { '': 1, b: 1 }, 'each job claimed once, under its new group');
        assert.equal((await claim(backend, w, [policy], 10)).jobs.length, 0);
      });

      contract('with groupConcurrency 1 a group runs one job at a time, by priority then enqueue order', async ({ backend }) => {
        const w = randomUUID();
        const policy = limits('ledger', { groupConcurrency: 1 });
        const ids = await backend.enqueue([
          grouped('ledger', 'acct-1', { payload: 1 }),
          grouped('ledger', 'acct-1', { payload: 2 }),
          grouped('ledger', 'acct-1', { payload: 3, priority: 5 }),
          grouped('ledger', 'acct-1', { payload: 4 }),
        ]);
        const order: number[] = [];
        for (let i = 0; i < 4; i++) {
          const { jobs } = await claim(backend, w, [policy], 10);
          assert.equal(jobs.length, 1, 'one at a time');
          assert.equal((await claim(backend, randomUUID(), [policy], 10)).jobs.length, 0, 'not even for another worker');
          order.push(jobs[0]!.id);
          await backend.complete(w, [outcome(jobs[0]!)]);
        }
        assert.deepEqual(order, [ids[2], ids[0], ids[1], ids[3]]);
      });

      contract('a retried job keeps its place at the head of its group', async ({ backend }) => {
        const w = randomUUID();
        const policy = limits('ledger', { groupConcurrency: 1 });
        const [first, second] = await backend.enqueue([grouped('ledger', 'acct-1'), grouped('ledger', 'acct-1')]);
        const attempt = await claimOne(backend, w, policy);
        assert.equal(attempt.id, first);
        await backend.complete(w, [outcome(attempt, { outcome: 'retried', retryDelayMs: 0, error: { name: 'Error', message: 'again' } })]);
        assert.equal((await claimOne(backend, w, policy)).id, first, `job ${second} waits for the retried one`);
      });

      contract('group limits hold under concurrent claims by different workers', async ({ backend }) => {
        await backend.enqueue(['a', 'b', 'c'].flatMap((g) => [...Array(6)].map(() => grouped('mail', g))));
        const policy = limits('mail', { groupConcurrency: 2 });
        await warmUp(backend, 5);
        const claims = await Promise.all([...Array(5)].map(() => claim(backend, randomUUID(), [policy], 4)));
        assert.deepEqual(perGroup(claims.flatMap((c) => c.jobs)), { a: 2, b: 2, c: 2 });
      });

      contract('grouped and ungrouped jobs share the entrypoint cap by priority; grouped jobs run without a limit too', async ({ backend }) => {
        const w = randomUUID();
        await backend.enqueue([
          grouped('mail', 'a', { priority: 1 }),
          grouped('mail', 'a', { priority: 1 }),
          row('mail', { priority: 2 }),
          row('mail'),
          grouped('mail', 'b'),
        ]);
        const capped = await claim(backend, w, [limits('mail', { concurrencyLimit: 3, groupConcurrency: 5 })], 10);
        assert.deepEqual(perGroup(capped.jobs), { '': 1, a: 2 }, 'the three of highest priority');
        const unlimited = await claim(backend, w, ['mail'], 10);
        assert.deepEqual(perGroup(unlimited.jobs), { '': 1, b: 1 }, 'a worker without groupConcurrency still claims grouped jobs');
      });
    });

    describe('complete and fencing', () => {
      contract('a successful outcome ends the job with its result', async ({ backend }) => {
        const w = randomUUID();
        const [id] = await backend.enqueue([row('work')]);
        const job = await claimOne(backend, w, 'work');
        const accepted = await backend.complete(w, [outcome(job, { result: JSON.stringify({ url: 'a.png', sizes: [1, 2] }) })]);
        assert.deepEqual(accepted, new Set([id]));
        assert.deepEqual(await backend.outcomes([id!]), {
          finished: [{ id, status: 'successful', result: { url: 'a.png', sizes: [1, 2] } }],
          live: [],
        });
        assert.deepEqual(await backend.listLiveJobs('work', 10), []);
      });

      contract('an exception outcome ends the job with its error', async ({ backend }) => {
        const w = randomUUID();
        const [id] = await backend.enqueue([row('work')]);
        const job = await claimOne(backend, w, 'work');
        const error = { name: 'TypeError', message: 'boom', stack: 'TypeError: boom\n    at x', details: { field: 'a' } };
        assert.deepEqual(await backend.complete(w, [outcome(job, { outcome: 'exception', error })]), new Set([id]));
        assert.deepEqual(await backend.outcomes([id!]), { finished: [{ id, status: 'exception', error }], live: [] });
      });

      contract('only a successful outcome keeps a result', async ({ backend }) => {
        const w = randomUUID();
        await backend.enqueue([row('work'), row('work')]);
        const { jobs } = await claim(backend, w, ['work']);
        const [failed, canceled] = jobs;
        await backend.cancel([canceled!.id]);
        const error = { name: 'Error', message: 'x' };
        await backend.complete(w, [
          outcome(failed!, { outcome: 'exception', error, result: '"stray"' }),
          outcome(canceled!, { outcome: 'exception', error, result: '"stray"' }),
        ]);
        const { finished } = await backend.outcomes([failed!.id, canceled!.id]);
        assert.deepEqual(
          finished.sort((a, b) => a.id - b.id),
          [{ id: failed!.id, status: 'exception', error }, { id: canceled!.id, status: 'canceled', error }].sort((a, b) => a.id - b.id),
        );
      });

      contract('a retried job goes back scheduled for its delay, due after it, with the next attempt', async ({ backend, advance }) => {
        const w = randomUUID();
        const [id] = await backend.enqueue([row('flaky')]);
        const first = await claimOne(backend, w, 'flaky');
        const error = { name: 'Error', message: 'try again' };
        assert.deepEqual(await backend.complete(w, [outcome(first, { outcome: 'retried', error, retryDelayMs: 5_000 })]), new Set([id]));
        assert.equal(await statusOf(backend, 'flaky', id!), 'scheduled');
        assert.deepEqual(await backend.outcomes([id!]), { finished: [], live: [id] });
        assert.deepEqual((await claim(backend, w, ['flaky'])).jobs, []);
        const dueIn = await backend.nextDueInMs(['flaky']);
        assert.ok(dueIn !== null && dueIn > 5_000 - DRIFT_MS && dueIn <= 5_000, `nextDueInMs ${dueIn}`);
        await advance(5_000);
        const second = await claimOne(backend, w, 'flaky');
        assert.deepEqual([second.id, second.attempt, second.rescues], [id, 2, 0]);
      });

      contract('a retried job without delay is runnable at once', async ({ backend }) => {
        const w = randomUUID();
        const [id] = await backend.enqueue([row('flaky')]);
        const first = await claimOne(backend, w, 'flaky');
        await backend.complete(w, [outcome(first, { outcome: 'retried', error: { name: 'Error', message: 'x' }, retryDelayMs: 0 })]);
        assert.equal(await statusOf(backend, 'flaky', id!), 'queued');
        const second = await claimOne(backend, randomUUID(), 'flaky');
        assert.deepEqual([second.id, second.attempt], [id, 2]);
      });

      contract('an outcome from a worker id that does not hold the job changes nothing', async ({ backend }) => {
        const [w1, w2] = [randomUUID(), randomUUID()];
        const [id] = await backend.enqueue([row('work')]);
        const job = await claimOne(backend, w1, 'work');
        assert.deepEqual(await backend.complete(w2, [outcome(job, { result: '"intruder"' })]), new Set());
        assert.equal(await statusOf(backend, 'work', id!), 'picked');
        assert.deepEqual(await backend.outcomes([id!]), { finished: [], live: [id] });
        assert.deepEqual(await backend.complete(w1, [outcome(job, { result: '"owner"' })]), new Set([id]));
        assert.deepEqual((await backend.outcomes([id!])).finished, [{ id, status: 'successful', result: 'owner' }]);
      });

      contract('a late outcome of an attempt taken over after a rescue changes nothing; the new attempt is accepted', async ({ backend, advance }) => {
        const [w1, w2] = [randomUUID(), randomUUID()];
        const [id, other] = await backend.enqueue([row('work'), row('work')]);
        const old = await claimOne(backend, w1, 'work');
        assert.equal(old.id, id);
        await advance(2_000);
        assert.deepEqual(await backend.rescue([{ entrypoint: 'work', rescueAfterMs: 1_000 }]), new Map([['work', 1]]));
        const current = await claimOne(backend, w2, 'work');
        assert.deepEqual([current.id, current.attempt], [id, 2]);
        const sibling = await claimOne(backend, w1, 'work');
        assert.equal(sibling.id, other);
        // w1's batch: its stale outcome for `id` is dropped, its live one for `other` recorded.
        const accepted = await backend.complete(w1, [outcome(old, { outcome: 'exception', error: { name: 'Error', message: 'late' } }), outcome(sibling)]);
        assert.deepEqual(accepted, new Set([other]));
        assert.equal(await statusOf(backend, 'work', id!), 'picked');
        assert.deepEqual(await backend.heartbeat(w2, [id!]), [{ id, cancelRequested: false }], 'w2 still holds it');
        assert.deepEqual(await backend.heartbeat(w1, [id!]), [], 'w1 no longer does');
        // Even w2 cannot record the old attempt.
        assert.deepEqual(await backend.complete(w2, [outcome(old)]), new Set());
        assert.deepEqual(await backend.complete(w2, [outcome(current, { result: '"second"' })]), new Set([id]));
        assert.deepEqual((await backend.outcomes([id!])).finished, [{ id, status: 'successful', result: 'second' }]);
      });

      contract('an outcome sent twice is accepted once; the second changes nothing', async ({ backend }) => {
        const w = randomUUID();
        const [id] = await backend.enqueue([row('work')]);
        const job = await claimOne(backend, w, 'work');
        assert.deepEqual(await backend.complete(w, [outcome(job, { result: '1' })]), new Set([id]));
        assert.deepEqual(await backend.complete(w, [outcome(job, { outcome: 'exception', error: { name: 'Error', message: 'x' } })]), new Set());
        assert.deepEqual((await backend.outcomes([id!])).finished, [{ id, status: 'successful', result: 1 }]);
        assert.deepEqual(await backend.complete(w, []), new Set());
      });
    });

    describe('heartbeat, rescue, release', () => {
      contract('heartbeat reports only the jobs this worker holds', async ({ backend }) => {
        const [w1, w2] = [randomUUID(), randomUUID()];
        const [mine, theirs, queued, finished] = await backend.enqueue([row('a'), row('b'), row('c'), row('d')]);
        await claimOne(backend, w1, 'a');
        await claimOne(backend, w2, 'b');
        const done = await claimOne(backend, w1, 'd');
        await backend.complete(w1, [outcome(done)]);
        const held = await backend.heartbeat(w1, [mine!, theirs!, queued!, finished!, 999_999]);
        assert.deepEqual(held, [{ id: mine, cancelRequested: false }]);
        assert.deepEqual(await backend.heartbeat(w2, [mine!, theirs!]), [{ id: theirs, cancelRequested: false }]);
        assert.deepEqual(await backend.heartbeat(w1, []), []);
      });

      contract('rescue returns running jobs whose heartbeat expired, per entrypoint policy, with counts per entrypoint', async ({ backend, advance }) => {
        const w = randomUUID();
        const [fast1, fast2, slow, unlisted, queued] = await backend.enqueue([row('fast'), row('fast'), row('slow'), row('unlisted'), row('idle')]);
        await claim(backend, w, ['fast', 'slow', 'unlisted']);
        await advance(5_000);
        const policies = [
          { entrypoint: 'fast', rescueAfterMs: 1_000 },
          { entrypoint: 'slow', rescueAfterMs: 60_000 },
          { entrypoint: 'idle', rescueAfterMs: 1_000 },
        ];
        assert.deepEqual(await backend.rescue(policies), new Map([['fast', 2]]));
        assert.equal(await statusOf(backend, 'fast', fast1!), 'queued');
        assert.equal(await statusOf(backend, 'fast', fast2!), 'queued');
        assert.equal(await statusOf(backend, 'slow', slow!), 'picked');
        assert.equal(await statusOf(backend, 'unlisted', unlisted!), 'picked', 'no policy, no rescue');
        assert.equal(await statusOf(backend, 'idle', queued!), 'queued');
        assert.deepEqual(await backend.heartbeat(w, [fast1!, fast2!, slow!]), [{ id: slow, cancelRequested: false }]);
        assert.deepEqual(await backend.rescue(policies), new Map(), 'nothing left to rescue');
      });

      contract('a job whose heartbeat was refreshed is not rescued', async ({ backend, advance }) => {
        const w = randomUUID();
        const [beating, silent] = await backend.enqueue([row('work'), row('work')]);
        await claim(backend, w, ['work']);
        await advance(3_000);
        assert.deepEqual(await backend.heartbeat(w, [beating!]), [{ id: beating, cancelRequested: false }]);
        await advance(3_000);
        const policy = [{ entrypoint: 'work', rescueAfterMs: 5_000 }];
        assert.deepEqual(await backend.rescue(policy), new Map([['work', 1]]));
        assert.equal(await statusOf(backend, 'work', beating!), 'picked');
        assert.equal(await statusOf(backend, 'work', silent!), 'queued');
      });

      contract('a rescued job is claimed again at once with attempt + 1 and rescues + 1', async ({ backend, advance }) => {
        const [id] = await backend.enqueue([row('work')]);
        await claimOne(backend, randomUUID(), 'work');
        await advance(2_000);
        await backend.rescue([{ entrypoint: 'work', rescueAfterMs: 1_000 }]);
        const again = await claimOne(backend, randomUUID(), 'work');
        assert.deepEqual([again.id, again.attempt, again.rescues], [id, 2, 1]);
      });

      contract('release of an unstarted job keeps its attempt count', async ({ backend }) => {
        const w = randomUUID();
        const [id] = await backend.enqueue([row('work')]);
        const first = await claimOne(backend, w, 'work');
        assert.equal(first.attempt, 1);
        await backend.release(w, [{ id: id!, started: false }]);
        assert.equal(await statusOf(backend, 'work', id!), 'queued');
        const again = await claimOne(backend, randomUUID(), 'work');
        assert.deepEqual([again.id, again.attempt, again.rescues], [id, 1, 0]);
      });

      contract('release of a started job counts a rescue and puts it in the queue at once', async ({ backend, advance }) => {
        const w = randomUUID();
        const [id] = await backend.enqueue([row('work')]);
        const first = await claimOne(backend, w, 'work');
        await advance(5_000);
        await backend.release(w, [{ id: id!, started: true }]);
        assert.equal(await statusOf(backend, 'work', id!), 'queued');
        assert.equal(await backend.nextDueInMs(['work']), null);
        const again = await claimOne(backend, randomUUID(), 'work');
        assert.deepEqual([again.id, again.attempt, again.rescues], [id, first.attempt + 1, first.rescues + 1]);
        assert.ok(again.queuedMs < DRIFT_MS, `runnable since the release, queuedMs ${again.queuedMs}`);
      });

      contract('release ignores jobs this worker does not hold', async ({ backend }) => {
        const [w1, w2] = [randomUUID(), randomUUID()];
        const [id, queued] = await backend.enqueue([row('work'), row('idle')]);
        const job = await claimOne(backend, w1, 'work');
        await backend.release(w2, [{ id: id!, started: true }, { id: queued!, started: false }]);
        assert.equal(await statusOf(backend, 'work', id!), 'picked');
        assert.deepEqual(await backend.heartbeat(w1, [id!]), [{ id, cancelRequested: false }]);
        assert.deepEqual(await backend.complete(w1, [outcome(job)]), new Set([id]));
        const idle = await claimOne(backend, w1, 'idle');
        assert.deepEqual([idle.id, idle.attempt], [queued, 1], 'a queued job is not touched either');
      });
    });

    describe('cancel', () => {
      contract('cancel removes queued and scheduled jobs, which end canceled', async ({ backend }) => {
        const [queued, scheduled, kept] = await backend.enqueue([row('work'), row('work', { delayMs: 60_000 }), row('work')]);
        const canceled = await backend.cancel([scheduled!, queued!, 999_999]);
        assert.deepEqual(canceled, [
          { id: queued, entrypoint: 'work', running: false },
          { id: scheduled, entrypoint: 'work', running: false },
        ]);
        assert.deepEqual(
          await backend.outcomes([queued!, scheduled!, kept!]),
          { finished: [{ id: queued, status: 'canceled' }, { id: scheduled, status: 'canceled' }], live: [kept] },
        );
        assert.deepEqual((await backend.listLiveJobs('work', 10)).map((j) => j.id), [kept]);
        assert.deepEqual(await backend.cancel([queued!]), [], 'a finished job is not canceled again');
      });

      contract('cancel flags a running job: it stays live and its heartbeat reports cancelRequested', async ({ backend }) => {
        const w = randomUUID();
        const [running, queued] = await backend.enqueue([row('work'), row('work')]);
        await claimOne(backend, w, 'work');
        const canceled = await backend.cancel([running!, queued!]);
        assert.deepEqual(canceled, [
          { id: running, entrypoint: 'work', running: true },
          { id: queued, entrypoint: 'work', running: false },
        ]);
        assert.deepEqual(await backend.outcomes([running!, queued!]), { finished: [{ id: queued, status: 'canceled' }], live: [running] });
        assert.equal(await statusOf(backend, 'work', running!), 'picked');
        assert.deepEqual(await backend.heartbeat(w, [running!]), [{ id: running, cancelRequested: true }]);
      });

      contract('a job canceled while running ends canceled, whether its attempt failed, was retried or succeeded', async ({ backend }) => {
        const w = randomUUID();
        const [retried, failed, succeeded] = await backend.enqueue([row('work'), row('work'), row('work')]);
        const { jobs } = await claim(backend, w, ['work']);
        await backend.cancel([retried!, failed!, succeeded!]);
        const byId = new Map(jobs.map((j) => [j.id, j]));
        const error = { name: 'AbortError', message: 'aborted' };
        const accepted = await backend.complete(w, [
          outcome(byId.get(retried!)!, { outcome: 'retried', error, retryDelayMs: 0 }),
          outcome(byId.get(failed!)!, { outcome: 'exception', error }),
          outcome(byId.get(succeeded!)!, { result: '"made it"' }),
        ]);
        assert.deepEqual(accepted, new Set([retried, failed, succeeded]));
        const { finished, live } = await backend.outcomes([retried!, failed!, succeeded!]);
        assert.deepEqual(live, []);
        const status = new Map(finished.map((o) => [o.id, o.status]));
        assert.deepEqual([status.get(retried!), status.get(failed!), status.get(succeeded!)], ['canceled', 'canceled', 'canceled']);
        assert.deepEqual(await backend.listLiveJobs('work', 10), [], 'the retried one did not go back');
      });

      contract('a flagged job given back and claimed again reports cancelRequested', async ({ backend, advance }) => {
        const w = randomUUID();
        const [released, rescued] = await backend.enqueue([row('work'), row('work')]);
        await claim(backend, w, ['work']);
        await backend.cancel([released!, rescued!]);
        await backend.release(w, [{ id: released!, started: false }]);
        await advance(2_000);
        assert.deepEqual(await backend.rescue([{ entrypoint: 'work', rescueAfterMs: 1_000 }]), new Map([['work', 1]]));
        const { jobs } = await claim(backend, randomUUID(), ['work']);
        assert.deepEqual(
          jobs.map((j) => [j.id, j.cancelRequested]).sort(([a], [b]) => Number(a) - Number(b)),
          [[released, true], [rescued, true]],
        );
      });
    });

    describe('enqueue and dedupe', () => {
      contract('enqueue returns the new ids in input order', async ({ backend }) => {
        const input = [
          row('x', { payload: { i: 0 }, priority: 9 }),
          row('y', { payload: { i: 1 }, delayMs: 60_000 }),
          row('x', { payload: { i: 2 } }),
          row('z', { payload: { i: 3 }, priority: -4, dedupeKey: 'k' }),
          row('y', { payload: { i: 4 } }),
        ];
        const ids = await backend.enqueue(input);
        assert.equal(ids.length, input.length);
        assert.equal(new Set(ids).size, ids.length);
        const live = [...(await backend.listLiveJobs('x', 10)), ...(await backend.listLiveJobs('y', 10)), ...(await backend.listLiveJobs('z', 10))];
        const byId = new Map(live.map((j) => [j.id, j]));
        assert.deepEqual(
          ids.map((id) => [byId.get(id)?.entrypoint, byId.get(id)?.payload]),
          input.map((r, i) => [r.entrypoint, { i }]),
        );
        const later = await backend.enqueue([row('x'), row('x')]);
        assert.ok(later[0]! > Math.max(...ids) && later[1]! > later[0]!, `ids grow: ${ids} then ${later}`);
        assert.deepEqual(await backend.enqueue([]), []);
      });

      contract('a held dedupe key throws DuplicateJobError naming the key, and nothing is written', async ({ backend }) => {
        const [held] = await backend.enqueue([row('mail', { dedupeKey: 'welcome:42' })]);
        await assert.rejects(backend.enqueue([row('mail', { dedupeKey: 'welcome:42' })]), (err: unknown) => {
          assert.ok(err instanceof DuplicateJobError, String(err));
          assert.deepEqual(err.duplicates, [{ entrypoint: 'mail', dedupeKey: 'welcome:42', reason: 'live' }]);
          assert.match(err.message, /welcome:42/);
          return true;
        });
        assert.deepEqual((await backend.listLiveJobs('mail', 10)).map((j) => j.id), [held]);
        // Keys are per entrypoint.
        const [elsewhere] = await backend.enqueue([row('sms', { dedupeKey: 'welcome:42' })]);
        assert.ok(elsewhere! > held!);
      });

      contract('a held dedupe key fails the whole batch it is in', async ({ backend }) => {
        await backend.enqueue([row('mail', { dedupeKey: 'k' })]);
        await assert.rejects(
          backend.enqueue([row('mail', { payload: { n: 1 } }), row('mail', { dedupeKey: 'k' }), row('other', { dedupeKey: 'free' })]),
          (err: unknown) => err instanceof DuplicateJobError && err.dedupeKeys.includes('k') && !err.dedupeKeys.includes('free'),
        );
        assert.equal((await backend.listLiveJobs('mail', 10)).length, 1);
        assert.deepEqual(await backend.listLiveJobs('other', 10), []);
        assert.deepEqual(await backend.queueSize(), [{ entrypoint: 'mail', status: 'queued', priority: 0, count: 1, paused: false }]);
      });

      contract('a dedupe key repeated within one batch throws DuplicateJobError and writes nothing', async ({ backend }) => {
        await assert.rejects(
          backend.enqueue([row('mail', { dedupeKey: 'twice' }), row('mail'), row('mail', { dedupeKey: 'twice' })]),
          (err: unknown) => err instanceof DuplicateJobError && err.dedupeKeys.includes('twice'),
        );
        assert.deepEqual(await backend.listLiveJobs('mail', 10), []);
        // The same key for two entrypoints is no repetition.
        assert.equal((await backend.enqueue([row('mail', { dedupeKey: 'twice' }), row('sms', { dedupeKey: 'twice' })])).length, 2);
      });

      contract('of two concurrent enqueues with one dedupe key, one succeeds and the other throws DuplicateJobError', async ({ backend }) => {
        await warmUp(backend, 2);
        const results = await Promise.allSettled([
          backend.enqueue([row('mail', { dedupeKey: 'race' })]),
          backend.enqueue([row('mail', { dedupeKey: 'race' })]),
        ]);
        const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(refused.length, 1, JSON.stringify(results));
        assert.ok(refused[0]!.reason instanceof DuplicateJobError, String(refused[0]!.reason));
        assert.deepEqual(refused[0]!.reason.duplicates, [{ entrypoint: 'mail', dedupeKey: 'race', reason: 'live' }]);
        assert.equal((await backend.listLiveJobs('mail', 10)).length, 1);
      });

      contract('DuplicateJobError names each refused key once', async ({ backend }) => {
        await backend.enqueue([row('mail', { dedupeKey: 'k' })]);
        await assert.rejects(backend.enqueue([row('mail', { dedupeKey: 'k' }), row('mail', { dedupeKey: 'k' })]), (err: unknown) => {
          assert.ok(err instanceof DuplicateJobError, String(err));
          // Held and repeated: named once, for its holder.
          assert.deepEqual(err.duplicates, [{ entrypoint: 'mail', dedupeKey: 'k', reason: 'live' }]);
          return true;
        });
      });

      contract('a dedupe key is free again once its job finished', async ({ backend }) => {
        const w = randomUUID();
        const [first, canceled] = await backend.enqueue([row('mail', { dedupeKey: 'done' }), row('mail', { dedupeKey: 'gone' })]);
        const job = await claimOne(backend, w, 'mail');
        assert.equal(job.id, first);
        await assert.rejects(backend.enqueue([row('mail', { dedupeKey: 'done' })]), DuplicateJobError, 'held while running');
        await backend.complete(w, [outcome(job)]);
        await backend.cancel([canceled!]);
        const again = await backend.enqueue([row('mail', { dedupeKey: 'done' }), row('mail', { dedupeKey: 'gone' })]);
        assert.equal(again.length, 2);
        assert.ok(again[0]! > canceled!);
      });

      contract('a retried job keeps holding its dedupe key', async ({ backend }) => {
        const w = randomUUID();
        await backend.enqueue([row('mail', { dedupeKey: 'k' })]);
        const job = await claimOne(backend, w, 'mail');
        await backend.complete(w, [outcome(job, { outcome: 'retried', error: { name: 'Error', message: 'x' }, retryDelayMs: 1_000 })]);
        await assert.rejects(backend.enqueue([row('mail', { dedupeKey: 'k' })]), DuplicateJobError);
      });
    });

    describe('inspection', () => {
      contract('listJobs lists the live jobs of one entrypoint, oldest first, up to the limit', async ({ backend }) => {
        const w = randomUUID();
        const [a, b, c, d] = await backend.enqueue([
          row('list', { priority: 1 }),
          row('list', { priority: 9, delayMs: 60_000 }),
          row('list'),
          row('list', { payload: { n: 1 }, dedupeKey: 'kd', headers: { h: 1 } }),
          row('elsewhere'),
        ]);
        const done = await claimOne(backend, w, 'list'); // priority 9 is deferred: this is `a`
        assert.equal(done.id, a);
        await backend.complete(w, [outcome(done)]);
        const picked = await claimOne(backend, w, 'list');
        const jobs = await backend.listLiveJobs('list', 10);
        assert.deepEqual(jobs.map((j) => [j.id, j.status]), [[b, 'scheduled'], [c, 'picked'], [d, 'queued']]);
        assert.equal(picked.id, c);
        const [deferredJob, pickedJob, queuedJob] = jobs;
        assert.deepEqual(
          [deferredJob!.entrypoint, deferredJob!.priority, deferredJob!.dedupeKey, deferredJob!.attempts, pickedJob!.attempts],
          ['list', 9, null, 0, 1],
        );
        assert.deepEqual([queuedJob!.payload, queuedJob!.headers, queuedJob!.dedupeKey], [{ n: 1 }, { h: 1 }, 'kd']);
        assert.ok(deferredJob!.executeAfter instanceof Date && deferredJob!.createdAt instanceof Date);
        const wait = deferredJob!.executeAfter.getTime() - deferredJob!.createdAt.getTime();
        assert.ok(wait >= 60_000 - 1 && wait < 60_000 + DRIFT_MS, `executeAfter - createdAt = ${wait}`);
        assert.deepEqual((await backend.listLiveJobs('list', 2)).map((j) => j.id), [b, c]);
        assert.deepEqual(await backend.listLiveJobs('nothing', 10), []);
      });

      contract('payloadVersions counts waiting jobs by stamped fingerprint and status, capped; payloadSamples reads them', async ({ backend }) => {
        const fp = (f: string) => ({ headers: { 'pgq-fingerprint': f } });
        const [, , , , unstamped] = await backend.enqueue([
          row('v', { ...fp('a'), payload: { n: 1 } }),
          row('v', { ...fp('a'), payload: { n: 2 } }),
          row('v', { ...fp('a'), delayMs: 60_000, payload: { n: 3 } }),
          row('v', { ...fp('b'), payload: { n: 4 } }),
          row('v', { payload: { n: 5 } }),
          row('other', fp('a')),
        ]);
        await claimOne(backend, randomUUID(), 'other'); // running: not counted
        const { counts, capped } = await backend.payloadVersions({ entrypoints: ['v', 'other'], countCap: 100 });
        const sorted = counts.map((c) => [c.entrypoint, c.fingerprint, c.status, c.count]).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
        assert.deepEqual(sorted, [['v', 'a', 'queued', 2], ['v', 'a', 'scheduled', 1], ['v', 'b', 'queued', 1], ['v', null, 'queued', 1]]);
        assert.deepEqual(capped, []);
        const small = await backend.payloadVersions({ entrypoints: ['v'], countCap: 3 });
        assert.deepEqual(small.capped, ['v']);
        assert.equal(small.counts.reduce((n, c) => n + c.count, 0), 3);
        const samples = await backend.payloadSamples({ versions: [{ entrypoint: 'v', fingerprint: 'a' }, { entrypoint: 'v', fingerprint: null }], sample: 2 });
        assert.deepEqual(samples.map((s) => [s.entrypoint, s.fingerprint, s.payload]).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))), [
          ['v', 'a', { n: 1 }],
          ['v', 'a', { n: 2 }],
          ['v', null, { n: 5 }],
        ]);
        assert.equal(samples.find((s) => s.fingerprint === null)!.id, unstamped);
        assert.deepEqual(await backend.payloadSamples({ versions: [], sample: 2 }), []);
      });

      contract('queueSize counts live jobs by entrypoint, status and priority', async ({ backend }) => {
        await backend.enqueue([row('a'), row('a'), row('a', { priority: 2 }), row('a', { delayMs: 60_000 }), row('b'), row('b')]);
        await claimOne(backend, randomUUID(), 'b');
        const rows = (await backend.queueSize())
          .map((r) => [r.entrypoint, r.status, r.priority, r.count])
          .sort((x, y) => String(x).localeCompare(String(y)));
        assert.deepEqual(rows, [
          ['a', 'queued', 0, 2],
          ['a', 'queued', 2, 1],
          ['a', 'scheduled', 0, 1],
          ['b', 'picked', 0, 1],
          ['b', 'queued', 0, 1],
        ]);
      });

      contract('pendingCount counts running, runnable and due jobs of the entrypoints, not future ones', async ({ backend, advance }) => {
        await backend.enqueue([row('a'), row('a'), row('a', { delayMs: 5_000 }), row('a', { delayMs: 60_000 }), row('b')]);
        await claimOne(backend, randomUUID(), 'a');
        assert.equal(await backend.pendingCount(['a']), 2);
        assert.equal(await backend.pendingCount(['a', 'b']), 3);
        assert.equal(await backend.pendingCount(['c']), 0);
        await advance(5_000);
        assert.equal(await backend.pendingCount(['a']), 3, 'due, though not yet promoted');
      });

      contract('nextDueInMs is the wait for the earliest deferred job of the entrypoints, or null', async ({ backend }) => {
        assert.equal(await backend.nextDueInMs(['a']), null);
        await backend.enqueue([row('a', { delayMs: 30_000 }), row('a', { delayMs: 20_000 }), row('b', { delayMs: 10_000 }), row('a')]);
        const a = await backend.nextDueInMs(['a']);
        const ab = await backend.nextDueInMs(['a', 'b']);
        assert.ok(a !== null && a > 20_000 - DRIFT_MS && a <= 20_000, `a: ${a}`);
        assert.ok(ab !== null && ab > 10_000 - DRIFT_MS && ab <= 10_000, `a, b: ${ab}`);
        assert.equal(await backend.nextDueInMs(['c']), null);
      });

      contract('outcomes reports finished jobs, the ids still live, and nothing of unknown ids', async ({ backend }) => {
        const w = randomUUID();
        const [done, live] = await backend.enqueue([row('work'), row('work')]);
        const job = await claimOne(backend, w, 'work');
        await backend.complete(w, [outcome(job)]);
        const result = await backend.outcomes([done!, live!, 999_999, done!]);
        assert.deepEqual(result.finished, [{ id: done, status: 'successful' }]);
        assert.deepEqual(result.live, [live]);
        assert.deepEqual(await backend.outcomes([]), { finished: [], live: [] });
      });
    });

    describe('retention', () => {
      contract('prune by age deletes log entries older than maxAgeMs; newer outcomes are kept', async ({ backend, advance }) => {
        const w = randomUUID();
        const old = await backend.enqueue([row('work'), row('work')]);
        await backend.complete(w, (await claim(backend, w, ['work'])).jobs.map((j) => outcome(j)));
        await advance(10_000);
        const [recent] = await backend.enqueue([row('work')]);
        await backend.complete(w, [outcome(await claimOne(backend, w, 'work'))]);
        assert.deepEqual(await backend.prune({ maxAgeMs: 5_000, maxRows: null }), { held: true, deleted: 2, more: false });
        assert.deepEqual(await backend.outcomes([...old, recent!]), { finished: [{ id: recent, status: 'successful' }], live: [] });
        assert.deepEqual(await backend.prune({ maxAgeMs: 5_000, maxRows: null }), { held: true, deleted: 0, more: false });
      });

      contract('prune by count keeps the newest maxRows log entries', async ({ backend }) => {
        const w = randomUUID();
        const ids: number[] = [];
        for (let i = 0; i < 5; i++) {
          const [id] = await backend.enqueue([row('work', { payload: { i } })]);
          ids.push(id!);
          await backend.complete(w, [outcome(await claimOne(backend, w, 'work'), { result: String(i) })]);
        }
        assert.deepEqual(await backend.prune({ maxAgeMs: null, maxRows: 2 }), { held: true, deleted: 3, more: false });
        const { finished } = await backend.outcomes(ids);
        assert.deepEqual(sorted(finished.map((o) => o.id)), ids.slice(3));
        assert.deepEqual(await backend.prune({ maxAgeMs: null, maxRows: null }), { held: true, deleted: 0, more: false });
      });
    });

    describe('schedules', () => {
      contract('registerSchedules keeps next_run when the expression and timezone are unchanged', async ({ backend }) => {
        const now = await backend.databaseNow();
        const first = new Date(now.getTime() + 60_000);
        await backend.registerSchedules([schedule('nightly', first, { expression: '0 3 * * *' })]);
        await backend.registerSchedules([schedule('nightly', new Date(now.getTime() + 120_000), { expression: '0 3 * * *', missed: 'skip' })]);
        const { rows } = await backend.readSchedules(['nightly']);
        assert.equal(rows.length, 1);
        assert.deepEqual(
          [rows[0]!.name, rows[0]!.expression, rows[0]!.timezone, rows[0]!.missed, rows[0]!.nextRun.toISOString(), rows[0]!.lastRun],
          ['nightly', '0 3 * * *', 'UTC', 'skip', first.toISOString(), null],
        );
      });

      contract('registerSchedules replaces next_run when the expression or timezone changed', async ({ backend }) => {
        const now = (await backend.databaseNow()).getTime();
        await backend.registerSchedules([
          schedule('expr', new Date(now + 60_000), { expression: '0 3 * * *' }),
          schedule('zone', new Date(now + 60_000), { expression: '0 3 * * *' }),
          schedule('same', new Date(now + 60_000), { expression: '0 3 * * *' }),
        ]);
        await backend.registerSchedules([
          schedule('expr', new Date(now + 120_000), { expression: '0 4 * * *' }),
          schedule('zone', new Date(now + 180_000), { expression: '0 3 * * *', timezone: 'Europe/Amsterdam' }),
        ]);
        const { rows } = await backend.readSchedules(null);
        const next = new Map(rows.map((r) => [r.name, [r.expression, r.timezone, r.nextRun.getTime() - now]]));
        assert.deepEqual(next.get('expr'), ['0 4 * * *', 'UTC', 120_000]);
        assert.deepEqual(next.get('zone'), ['0 3 * * *', 'Europe/Amsterdam', 180_000]);
        assert.deepEqual(next.get('same'), ['0 3 * * *', 'UTC', 60_000], 'not registered again: untouched');
        assert.deepEqual((await backend.readSchedules(['expr', 'missing'])).rows.map((r) => r.name), ['expr']);
      });

      contract('fireTick is a compare-and-set: of two concurrent ticks with the same expected, exactly one advances and enqueues one job', async ({ backend }) => {
        const now = (await backend.databaseNow()).getTime();
        await backend.registerSchedules([schedule('tick', new Date(now - 1_000))]);
        const [read] = (await backend.readSchedules(['tick'])).rows;
        const expected = read!.nextRun;
        // The next run is due too (a worker catching up): only the compare-and-set decides.
        const next = new Date(expected.getTime() + 500);
        await warmUp(backend, 2);
        const fire = () => backend.fireTick({ name: 'tick', expected, next, scheduledAt: expected, priority: 7 });
        const results = await Promise.all([fire(), fire()]);
        const winners = results.filter((r) => r.advanced);
        assert.equal(winners.length, 1, JSON.stringify(results));
        assert.deepEqual(results.find((r) => !r.advanced), { advanced: false, jobId: null });
        const jobs = await backend.listLiveJobs('tick', 10);
        assert.deepEqual(jobs.map((j) => [j.id, j.priority, j.payload]), [[winners[0]!.jobId, 7, tickPayload(expected)]]);
        const [after] = (await backend.readSchedules(['tick'])).rows;
        assert.deepEqual([after!.nextRun.toISOString(), after!.lastRun?.toISOString()], [next.toISOString(), expected.toISOString()]);
        const claimed = await claimOne(backend, randomUUID(), 'tick');
        assert.deepEqual(claimed.payload, tickPayload(expected));
      });

      contract('fireTick does not advance a tick that is not yet due', async ({ backend, advance }) => {
        const now = (await backend.databaseNow()).getTime();
        await backend.registerSchedules([schedule('tick', new Date(now + 60_000))]);
        const early = (await backend.readSchedules(['tick'])).rows[0]!.nextRun;
        const tick = (expected: Date) => ({ name: 'tick', expected, next: new Date(expected.getTime() + 300_000), scheduledAt: expected, priority: 0 });
        assert.deepEqual(await backend.fireTick(tick(early)), { advanced: false, jobId: null });
        assert.deepEqual(await backend.listLiveJobs('tick', 10), []);
        assert.equal((await backend.readSchedules(['tick'])).rows[0]!.nextRun.getTime(), early.getTime());
        await advance(60_000);
        const { rows, dbNow } = await backend.readSchedules(['tick']);
        assert.ok(rows[0]!.nextRun.getTime() <= dbNow.getTime(), 'due now');
        const fired = await backend.fireTick(tick(rows[0]!.nextRun));
        assert.equal(fired.advanced, true);
        assert.deepEqual((await backend.listLiveJobs('tick', 10)).map((j) => j.id), [fired.jobId]);
      });

      contract('fireTick with a stale expected next_run, or of an unknown schedule, does not advance', async ({ backend }) => {
        const now = (await backend.databaseNow()).getTime();
        await backend.registerSchedules([schedule('tick', new Date(now - 1_000))]);
        const current = (await backend.readSchedules(['tick'])).rows[0]!.nextRun;
        const stale = new Date(current.getTime() - 300_000);
        const next = new Date(current.getTime() + 300_000);
        assert.deepEqual(await backend.fireTick({ name: 'tick', expected: stale, next, scheduledAt: stale, priority: 0 }), { advanced: false, jobId: null });
        assert.deepEqual(await backend.fireTick({ name: 'missing', expected: current, next, scheduledAt: current, priority: 0 }), { advanced: false, jobId: null });
        assert.equal((await backend.readSchedules(['tick'])).rows[0]!.nextRun.getTime(), current.getTime());
        assert.deepEqual(await backend.listLiveJobs('tick', 10), []);
        assert.deepEqual(await backend.listLiveJobs('missing', 10), []);
      });

      contract('fireTick with scheduledAt null advances without a job', async ({ backend }) => {
        const now = (await backend.databaseNow()).getTime();
        await backend.registerSchedules([schedule('skipped', new Date(now - 1_000))]);
        const expected = (await backend.readSchedules(['skipped'])).rows[0]!.nextRun;
        const next = new Date(expected.getTime() + 300_000);
        assert.deepEqual(await backend.fireTick({ name: 'skipped', expected, next, scheduledAt: null, priority: 0 }), { advanced: true, jobId: null });
        assert.deepEqual(await backend.listLiveJobs('skipped', 10), []);
        const [after] = (await backend.readSchedules(['skipped'])).rows;
        assert.deepEqual([after!.nextRun.toISOString(), after!.lastRun], [next.toISOString(), null]);
      });
    });

    describe('notifications', () => {
      contract('subscribe delivers enqueued(entrypoint, delayMs) after an enqueue', async ({ backend }) => {
        const heard: Array<[string, number]> = [];
        const now = deferred<void>();
        const later = deferred<number>();
        const subscription = await backend.subscribe({
          enqueued(entrypoint, delayMs) {
            heard.push([entrypoint, delayMs]);
            if (entrypoint === 'now') now.resolve();
            if (entrypoint === 'later') later.resolve(delayMs);
          },
          cancelRequested() {},
          paused() {},
          resumed() {},
          reconnected() {},
        });
        try {
          await backend.enqueue([row('now'), row('now')]);
          await within(now.promise, EVENT_MS, 'enqueued("now")');
          await backend.enqueue([row('later', { delayMs: 5_000 }), row('later', { delayMs: 8_000 })]);
          const delay = await within(later.promise, EVENT_MS, 'enqueued("later")');
          assert.ok(delay > 5_000 - DRIFT_MS && delay <= 5_000, `the earliest is due in ${delay} ms`);
          assert.deepEqual(heard, [['now', 0], ['later', delay]], 'one event per entrypoint and statement');
        } finally {
          await subscription.close();
        }
      });

      contract('subscribe delivers enqueued when a retried, rescued or released job goes back', async ({ backend, advance }) => {
        const w = randomUUID();
        const heard: Array<[string, number]> = [];
        const subscription = await backend.subscribe({
          enqueued: (entrypoint, delayMs) => void heard.push([entrypoint, delayMs]),
          cancelRequested() {},
          paused() {},
          resumed() {},
          reconnected() {},
        });
        try {
          await backend.enqueue([row('retry'), row('rescue'), row('release')]);
          const { jobs } = await claim(backend, w, ['retry', 'rescue', 'release']);
          const job = (name: string) => jobs.find((j) => j.entrypoint === name)!;
          await until(() => ['retry', 'rescue', 'release'].every((e) => heard.some(([h]) => h === e)), EVENT_MS, 'the enqueue events');
          heard.length = 0;
          await backend.complete(w, [outcome(job('retry'), { outcome: 'retried', error: { name: 'Error', message: 'x' }, retryDelayMs: 2_000 })]);
          await backend.release(w, [{ id: job('release').id, started: true }]);
          await advance(5_000);
          await backend.rescue([{ entrypoint: 'rescue', rescueAfterMs: 1_000 }]);
          const seen = await until(
            () => (['retry', 'rescue', 'release'].every((e) => heard.some(([h]) => h === e)) ? new Map(heard) : undefined),
            EVENT_MS,
            'enqueued for the retried, rescued and released jobs',
          );
          assert.deepEqual([seen.get('retry'), seen.get('rescue'), seen.get('release')], [2_000, 0, 0]);
        } finally {
          await subscription.close();
        }
      });

      contract('subscribe delivers cancelRequested for a running job that is canceled', async ({ backend }) => {
        const canceled = deferred<readonly number[]>();
        const subscription = await backend.subscribe({
          enqueued() {},
          cancelRequested: (ids) => canceled.resolve(ids),
          paused() {},
          resumed() {},
          reconnected() {},
        });
        try {
          const [running] = await backend.enqueue([row('work'), row('work')]);
          await claimOne(backend, randomUUID(), 'work');
          const all = (await backend.listLiveJobs('work', 10)).map((j) => j.id);
          await backend.cancel(all);
          assert.deepEqual(await within(canceled.promise, EVENT_MS, 'cancelRequested'), [running], 'only the running one');
        } finally {
          await subscription.close();
        }
      });

      contract('probeNotifications comes back to every work subscriber as probed(token), and as nothing else', async ({ backend }) => {
        const probed = [deferred<string>(), deferred<string>()];
        const other: string[] = [];
        const subscriptions = await Promise.all(
          probed.map((heard) =>
            backend.subscribe({
              enqueued: (e) => void other.push(`enqueued ${e}`),
              cancelRequested: () => void other.push('cancelRequested'),
              paused: () => void other.push('paused'),
              resumed: () => void other.push('resumed'),
              reconnected() {},
              probed: (token) => heard.resolve(token),
            }),
          ),
        );
        try {
          await backend.probeNotifications('worker-a:1');
          assert.deepEqual(await within(Promise.all(probed.map((p) => p.promise)), EVENT_MS, 'both probes'), ['worker-a:1', 'worker-a:1']);
          assert.deepEqual(other, []);
        } finally {
          await Promise.all(subscriptions.map((s) => s.close()));
        }
      });

      contract('probeCompletions comes back to completion subscribers as probed(token), not as done', async ({ backend }) => {
        const probed = deferred<string>();
        const done: number[] = [];
        const subscription = await backend.subscribeCompletions({
          done: (ids) => void done.push(...ids),
          reconnected() {},
          probed: (token) => probed.resolve(token),
        });
        try {
          await backend.probeCompletions('watcher-a:1');
          assert.equal(await within(probed.promise, EVENT_MS, 'the probe'), 'watcher-a:1');
          assert.deepEqual(done, []);
        } finally {
          await subscription.close();
        }
      });

      contract('subscribeCompletions delivers the ids of jobs that finished', async ({ backend }) => {
        const w = randomUUID();
        const done = new Set<number>();
        const subscription = await backend.subscribeCompletions({ done: (ids) => ids.forEach((id) => done.add(id)), reconnected() {} });
        try {
          const [a, b, retried, canceled] = await backend.enqueue([row('work'), row('work'), row('work'), row('idle')]);
          const { jobs } = await claim(backend, w, ['work']);
          const byId = new Map(jobs.map((j) => [j.id, j]));
          await backend.complete(w, [
            outcome(byId.get(a!)!),
            outcome(byId.get(b!)!, { outcome: 'exception', error: { name: 'Error', message: 'x' } }),
            outcome(byId.get(retried!)!, { outcome: 'retried', error: { name: 'Error', message: 'x' }, retryDelayMs: 0 }),
          ]);
          await backend.cancel([canceled!]);
          await until(() => done.has(a!) && done.has(b!) && done.has(canceled!), EVENT_MS, 'done for the finished and the canceled jobs');
          // A marker job finished last: once its id arrived, an event for the retried job would have too.
          const [marker] = await backend.enqueue([row('marker')]);
          await backend.cancel([marker!]);
          await until(() => done.has(marker!), EVENT_MS, 'done for the marker');
          assert.equal(done.has(retried!), false, 'a retried job has not finished');
        } finally {
          await subscription.close();
        }
      });
    });

    describe('workers', () => {
      contract('registerWorker may be repeated, and unregisterWorker of an unknown id is a no-op', async ({ backend }) => {
        const w = randomUUID();
        const info = { id: w, hostname: 'host', pid: 123, entrypoints: ['a', 'b'] };
        await backend.registerWorker(info);
        await backend.registerWorker({ ...info, entrypoints: ['a'] });
        await backend.unregisterWorker(w);
        await backend.unregisterWorker(randomUUID());
        // A worker's registration plays no part in holding jobs.
        await backend.enqueue([row('a')]);
        const job = await claimOne(backend, w, 'a');
        assert.deepEqual(await backend.heartbeat(w, [job.id]), [{ id: job.id, cancelRequested: false }]);
      });
    });

    describe('dependencies', () => {
      const failure = { name: 'Error', message: 'boom' };

      contract('a child waits blocked until every parent succeeded; a rescued parent releases it once', async ({ backend, advance }) => {
        const [w1, w2] = [randomUUID(), randomUUID()];
        const [p1, p2] = await backend.enqueue([row('parent'), row('parent', { payload: { second: true } })]);
        const [child] = await backend.enqueue([row('child', { after: [{ id: p1! }, { id: p2! }] })]);
        assert.equal(await statusOf(backend, 'child', child!), 'blocked');
        assert.deepEqual((await claim(backend, w1, ['child'])).jobs, [], 'a blocked job is not claimed');
        const lost = await claimOne(backend, w1, 'parent');
        assert.equal(lost.id, p1);
        await advance(2_000);
        assert.deepEqual(await backend.rescue([{ entrypoint: 'parent', rescueAfterMs: 1_000 }]), new Map([['parent', 1]]));
        assert.equal(await statusOf(backend, 'child', child!), 'blocked', 'a rescue does not end the parent');
        const again = await claimOne(backend, w2, 'parent');
        assert.equal(again.id, p1);
        await backend.complete(w2, [outcome(again, { result: '"one"' })]);
        await backend.complete(w1, [outcome(lost, { result: '"late"' })]);
        assert.equal(await statusOf(backend, 'child', child!), 'blocked', 'one parent of two ended');
        const second = await claimOne(backend, w2, 'parent');
        await backend.complete(w2, [outcome(second, { result: '{"n":2}' })]);
        const released = await claimOne(backend, w2, 'child');
        assert.equal(released.id, child);
        assert.deepEqual(released.headers[PARENTS_HEADER], [p1, p2]);
        assert.deepEqual(await backend.parentResults([p1!, p2!]), [
          { id: p1, status: 'successful', result: 'one' },
          { id: p2, status: 'successful', result: { n: 2 } },
        ]);
        const info = await backend.getJob(p1!);
        assert.deepEqual(info?.children, [child]);
        assert.deepEqual((await backend.getJob(child!))?.parents, [p1, p2]);
      });

      contract('a failed parent cancels its blocked children and theirs; a child that runs on parent failure is released', async ({ backend }) => {
        const w = randomUUID();
        const [parent] = await backend.enqueue([row('parent')]);
        const [doomed, runs] = await backend.enqueue([
          row('child', { after: [{ id: parent! }] }),
          row('child', { after: [{ id: parent! }], runOnParentFailure: true }),
        ]);
        const [grandchild] = await backend.enqueue([row('grandchild', { after: [{ id: doomed! }] })]);
        const done = deferred<number[]>();
        const seen: number[] = [];
        const subscription = await backend.subscribeCompletions({
          done: (ids) => {
            seen.push(...ids);
            if ([doomed, grandchild].every((id) => seen.includes(id!))) done.resolve(seen);
          },
          reconnected: () => {},
        });
        try {
          await backend.complete(w, [outcome(await claimOne(backend, w, 'parent'), { outcome: 'exception', error: failure })]);
          await within(done.promise, EVENT_MS, 'the completion notices of the canceled children');
        } finally {
          await subscription.close();
        }
        const { finished } = await backend.outcomes([doomed!, grandchild!]);
        assert.deepEqual(finished.map((o) => [o.id, o.status, o.error?.name]), [
          [doomed, 'canceled', 'ParentFailedError'],
          [grandchild, 'canceled', 'ParentFailedError'],
        ]);
        assert.match(finished[0]!.error!.message, new RegExp(`parent job ${parent} ended exception`));
        assert.equal(await statusOf(backend, 'child', runs!), 'queued');
        assert.deepEqual(await backend.parentResults([parent!]), [{ id: parent, status: 'exception', result: undefined }]);
      });

      contract('parents in the same call, parents already ended, and a parent that does not exist', async ({ backend }) => {
        const w = randomUUID();
        const [a, b] = await backend.enqueue([row('flow'), row('flow', { after: [{ item: 0 }] })]);
        assert.equal(await statusOf(backend, 'flow', b!), 'blocked');
        assert.deepEqual((await backend.getJob(b!))?.parents, [a]);
        const done = await claimOne(backend, w, 'flow');
        await backend.complete(w, [outcome(done)]);
        const [late] = await backend.enqueue([row('late', { after: [{ id: a! }] })]);
        assert.equal(await statusOf(backend, 'late', late!), 'queued', 'its parent had already succeeded');
        const failed = await claimOne(backend, w, 'flow');
        assert.equal(failed.id, b);
        await backend.complete(w, [outcome(failed, { outcome: 'exception', error: failure })]);
        const [orphan] = await backend.enqueue([row('orphan', { after: [{ id: b! }] })]);
        assert.equal((await backend.outcomes([orphan!])).finished[0]?.status, 'canceled', 'its parent had already failed');
        await assert.rejects(backend.enqueue([row('never'), row('never', { after: [{ id: 99_999_999 }] })]), (err: Error) => {
          assert.equal(err.constructor.name, 'ParentNotFoundError');
          assert.match(err.message, /no job 99999999/);
          return true;
        });
        assert.deepEqual(await backend.listLiveJobs('never', 10), [], 'nothing of the refused call was written');
      });

      contract('canceling or deleting a parent cancels what waits for it', async ({ backend }) => {
        const [parent, other] = await backend.enqueue([row('parent'), row('parent')]);
        const [child, otherChild] = await backend.enqueue([row('child', { after: [{ id: parent! }] }), row('child', { after: [{ id: other! }] })]);
        const [grandchild] = await backend.enqueue([row('child', { after: [{ id: child! }] })]);
        await backend.cancel([parent!]);
        assert.deepEqual(await backend.deleteJobs([other!]), [other]);
        const { finished, live } = await backend.outcomes([child!, grandchild!, otherChild!]);
        assert.deepEqual(live, []);
        const byId = new Map(finished.map((o) => [o.id, o]));
        assert.deepEqual([child, grandchild, otherChild].map((id) => byId.get(id!)?.status), ['canceled', 'canceled', 'canceled']);
        assert.match(byId.get(otherChild!)!.error!.message, /parent job \d+ was deleted/);
        assert.match(byId.get(grandchild!)!.error!.message, new RegExp(`parent job ${child} ended canceled`));
        const [kept] = await backend.enqueue([row('parent')]);
        const [waiting] = await backend.enqueue([row('child', { after: [{ id: kept! }] })]);
        assert.deepEqual(await backend.deleteJobs([waiting!]), [waiting], 'a blocked job can be deleted');
        assert.equal(await statusOf(backend, 'parent', kept!), 'queued', 'its parent is left alone');
      });

      contract("retention keeps a parent's entry while a child still waits", async ({ backend, advance }) => {
        const w = randomUUID();
        const [p1, p2] = await backend.enqueue([row('parent'), row('parent')]);
        const [child] = await backend.enqueue([row('child', { after: [{ id: p1! }, { id: p2! }] })]);
        await backend.complete(w, [outcome(await claimOne(backend, w, 'parent'), { result: '"kept"' })]);
        await advance(10_000);
        await backend.prune({ maxAgeMs: 1_000, maxRows: null });
        assert.deepEqual(await backend.parentResults([p1!]), [{ id: p1, status: 'successful', result: 'kept' }]);
        await backend.complete(w, [outcome(await claimOne(backend, w, 'parent'))]);
        await backend.complete(w, [outcome(await claimOne(backend, w, 'child'))]);
        await advance(10_000);
        await backend.prune({ maxAgeMs: 1_000, maxRows: null });
        assert.deepEqual(await backend.parentResults([p1!]), [], 'pruned once no child waits');
        assert.equal(await backend.getJob(child!), null);
      });
    });
  });
}
