/**
 * What an idle backend costs a round trip: a one-row INSERT timed back to back and after
 * gaps of 1, 5 and 10 ms (medians of 200), on DATABASE_URL or an embedded server. Then each
 * step of pgqueuer's enqueue-to-start path on its own, after 10 ms of idleness, beside the
 * same step done the least costly way: a bare claim and pgqueuer's claim; then, taking turns
 * sample by sample (so the machine's drift falls on all alike), an insert without and with a
 * NOTIFY trigger, pgqueuer's enqueue statement (also into copies of its table without
 * triggers, and with only a primary key), its hand-off statement and `pgq.enqueue()`. Last,
 * taking turns too, the one round trip of a hand-off: an insert whose NOTIFY a listener hears
 * (and the same without waiting for its WAL flush: what durability costs; and into a copy of
 * pgqueuer's jobs table: the least a hand-off there costs), `pgq.enqueue()` handed to an idle
 * worker, from the call to the handler's first line (split by which reached the process first,
 * the enqueue's reply or the notification), and (when a Redis answers at REDIS_URL) BullMQ's
 * `queue.add()` to its handler's first line.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/idle-round-trip.ts
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { install, PgQueuer } from '../src/index.js';
import type { Queryable, Statement } from '../src/postgres/driver.js';
import { schemaNames } from '../src/postgres/schema-names.js';
import { claimQuery } from '../src/postgres/statements/claim.js';
import { enqueueQuery } from '../src/postgres/statements/enqueue.js';
import { handOffQueries } from '../src/postgres/statements/hand-off.js';
import type { EnqueueRow } from '../src/port/rows.js';
import { startServer } from './server.js';
import { bullmqSystem } from './systems/bullmq.js';
import type { ExternalStore, Producer, RunningWorker } from './systems/system.js';

const SAMPLES = 200;
const server = await startServer();
const client = new pg.Client(server.url);
await client.connect();
const table = `idle_round_trip_${process.pid}`;
const schema = `idle_round_trip_pgq_${process.pid}`;
const db: Queryable = {
  query: async <Row>(s: Statement, values: readonly unknown[] = []) =>
    (await client.query({ name: s.name || undefined, text: s.text, values: [...values] })).rows as Row[],
};

/** Medians of SAMPLES calls of each step, each after `gapMs` of idleness, in ms: the steps take turns sample by sample. */
async function medians(steps: ReadonlyArray<() => Promise<unknown>>, gapMs: number): Promise<number[]> {
  const samples = steps.map((): number[] => []);
  for (let i = 0; i < SAMPLES; i++) {
    for (const [k, step] of steps.entries()) {
      if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      const t0 = performance.now();
      await step();
      samples[k]!.push(performance.now() - t0);
    }
  }
  return samples.map((s) => s.sort((a, b) => a - b)[SAMPLES / 2]!);
}

const median = async (step: () => Promise<unknown>, gapMs: number): Promise<number> => (await medians([step], gapMs))[0]!;

/** Resolves once `check` is true, polling every 20 ms. */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}

let pgq: PgQueuer | undefined;
let worker: PgQueuer | undefined;
let running: Promise<void> | undefined;
let listener: pg.Client | undefined;
let bull: { store: ExternalStore; worker: RunningWorker; producer: Producer } | undefined;
try {
  // A plain table, not a temporary one: its commits flush WAL, as an enqueue's do.
  await client.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, status text NOT NULL DEFAULT 'queued', payload jsonb)`);
  for (const gapMs of [0, 1, 5, 10]) {
    const p50 = await median(() => client.query(`INSERT INTO ${table} (payload) VALUES ('{}')`), gapMs);
    console.log(`gap ${String(gapMs).padStart(2)} ms: insert round trip p50 ${p50.toFixed(3)} ms`);
  }

  await install(server.url, { schema });
  pgq = await PgQueuer.connect(server.url, { schema });
  const names = schemaNames(schema);
  const enqueueOne = enqueueQuery(names);
  const claim = claimQuery(names);
  // What pgqueuer's table costs an insert: the same statement into copies of it, one without its
  // triggers, one with neither those nor its indexes and checks but the primary key. And the
  // hand-off statement, handing its job to an entry no worker reads (an entrypoint of its own).
  await client.query(`
    CREATE TABLE ${names.jobs}_untriggered (LIKE ${names.jobs} INCLUDING ALL);
    CREATE TABLE ${names.jobs}_bare (LIKE ${names.jobs} INCLUDING DEFAULTS INCLUDING IDENTITY);
    ALTER TABLE ${names.jobs}_bare ADD PRIMARY KEY (id);`);
  const enqueueUntriggered = enqueueQuery({ ...names, jobs: `${names.jobs}_untriggered` });
  const enqueueBare = enqueueQuery({ ...names, jobs: `${names.jobs}_bare` });
  const handOff = handOffQueries(names);
  await handOff.park(db, { workerId: randomUUID(), entrypoints: ['unread'], slots: 1_000_000, ttlMs: 3_600_000, address: { channel: `${table}_unread`, secret: 'unread' } });
  // The raw table's twin with pgqueuer's kind of trigger (one NOTIFY per statement), and a
  // connection listening to both, as a worker's would.
  await client.query(`
    CREATE TABLE ${table}_notified (LIKE ${table} INCLUDING DEFAULTS);
    CREATE FUNCTION ${table}_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('${table}', ''); RETURN NULL; END $$;
    CREATE TRIGGER notify AFTER INSERT ON ${table}_notified FOR EACH STATEMENT EXECUTE FUNCTION ${table}_notify();
    UPDATE ${table} SET status = 'done';`);
  listener = new pg.Client(server.url);
  await listener.connect();
  await listener.query(`LISTEN "${table}"`);
  await listener.query(`LISTEN "${names.channel}"`);
  const row: EnqueueRow = { entrypoint: 'idle', priority: 0, payload: '{"seq":1}', headers: null, executeAt: null, delayMs: null, dedupeKey: null, onConflict: 'error', dedupeWindowMs: null, after: null, runOnParentFailure: false };
  const steps: Array<[string, () => Promise<unknown>]> = [
    ['SELECT 1', () => client.query({ name: 'select_1', text: 'SELECT 1' })],
    // The claims first, while nothing is queued.
    [
      'a bare claim (UPDATE ... FOR UPDATE SKIP LOCKED)',
      () =>
        client.query({
          name: 'bare_claim',
          text: `UPDATE ${table} SET status = 'picked' WHERE id = ANY (ARRAY(
                   SELECT id FROM ${table} WHERE status = 'queued' ORDER BY id LIMIT 32 FOR UPDATE SKIP LOCKED)) RETURNING id, payload`,
        }),
    ],
    [
      "pgqueuer's claim",
      () => claim(db, { workerId: '00000000-0000-0000-0000-000000000001', capacity: 32, promote: false, entrypoints: [{ name: 'idle', concurrencyLimit: 0, ratePerSecond: 0, burst: 0, groupConcurrency: 0 }] }),
    ],
  ];
  // The inserts take turns (they leave nothing a claim above would find: those ran first).
  const inserts: Array<[string, () => Promise<unknown>]> = [
    ['an insert', () => client.query({ name: 'insert', text: `INSERT INTO ${table} (payload) VALUES ($1)`, values: ['{"seq":1}'] })],
    ['the same insert with a NOTIFY trigger', () => client.query({ name: 'insert_notified', text: `INSERT INTO ${table}_notified (payload) VALUES ($1)`, values: ['{"seq":1}'] })],
    [
      "pgqueuer's enqueue statement",
      () => enqueueOne(db, [row]),
    ],
    ['the same into a copy of its table without triggers', () => enqueueUntriggered(db, [row])],
    ['the same into a copy with only its primary key', () => enqueueBare(db, [row])],
    ["pgqueuer's hand-off statement, handing its job off", () => handOff.enqueue(db, { ...row, entrypoint: 'unread' })],
    ['pgq.enqueue()', () => pgq!.enqueue('idle', { seq: 1 })],
  ];
  // The listener hears the plain table's trigger; a worker of its own takes hand-offs.
  let onHeard: (() => void) | undefined;
  listener.on('notification', (n) => {
    if (n.channel === table) onHeard?.();
  });
  const heard = (sql: string) =>
    new Promise<void>((resolve, reject) => {
      onHeard = resolve;
      client.query(sql).catch(reject);
    });
  worker = await PgQueuer.connect(server.url, { schema });
  let started: (() => void) | undefined;
  worker.entrypoint('handed', async () => started?.());
  running = worker.run({ handleSignals: false });
  await until(async () => (await client.query(`SELECT 1 FROM ${names.idleWorkers}`)).rowCount === 1);
  // Which reached this process first, the enqueue's reply or the worker's notification (each
  // from a backend of its own), and how long the job then took to start.
  const arrivals: Array<{ replyFirst: boolean; ms: number }> = [];
  const handedOff = () =>
    new Promise<void>((resolve, reject) => {
      const t0 = performance.now();
      let replied = false;
      started = () => {
        arrivals.push({ replyFirst: replied, ms: performance.now() - t0 });
        resolve();
      };
      pgq!.enqueue('handed', { seq: 1 }).then(() => void (replied = true), reject);
    });
  console.log('each step after 10 ms idle, p50:');
  for (const [label, step] of steps) console.log(`  ${(await median(step, 10)).toFixed(3)} ms  ${label}`);
  const insertP50s = await medians(inserts.map(([, step]) => step), 10);
  inserts.forEach(([label], i) => console.log(`  ${insertP50s[i]!.toFixed(3)} ms  ${label}`));

  // One round trip instead of two: what a hand-off can cost at least (with and without waiting
  // for the WAL flush, which only fsync-on servers do), what it costs, and what BullMQ's
  // enqueue-to-start costs on the same machine at the same time.
  const insertNotified = `INSERT INTO ${table}_notified (payload) VALUES ('{"seq":1}')`;
  // The least a hand-off can do in pgqueuer's table: insert the job picked and NOTIFY (into the
  // copy without triggers; the hand-off's own insert skips them).
  const jobsNotified = `WITH i AS (
      INSERT INTO ${names.jobs}_untriggered (entrypoint, payload, status, worker_id, attempts, heartbeat, picked_at)
      VALUES ('idle', '{"seq":1}', 'picked', '${randomUUID()}', 1, now(), now()) RETURNING id)
    SELECT pg_notify('${table}', id::text) FROM i`;
  const oneTrip: Array<[string, () => Promise<unknown>]> = [
    ['an insert whose NOTIFY a listener hears (sent -> heard)', () => heard(insertNotified)],
    ['the same, its commit not waiting for the WAL flush', () => heard(`BEGIN; SET LOCAL synchronous_commit = off; ${insertNotified}; COMMIT`)],
    ["the same insert and NOTIFY into a copy of pgqueuer's jobs table (flushed)", () => heard(jobsNotified)],
    ['pgq.enqueue() handed to an idle worker (called -> handler)', () => handedOff()],
  ];
  const bullmq = bullmqSystem({ concurrency: 32 });
  const store = bullmq.store!;
  try {
    const redis = await store.describe();
    // BullMQ's queue is named after this path, as the harness names it after a database (and
    // sweeps this process's queues on close).
    const queueUrl = `postgres://bullmq/pgqbench_${process.pid}_idle_round_trip`;
    let onStart: (() => void) | undefined;
    bull = { store, worker: await bullmq.startWorker(queueUrl, () => onStart?.()), producer: await bullmq.producer(queueUrl) };
    const producer = bull.producer;
    const added = () =>
      new Promise<void>((resolve, reject) => {
        onStart = resolve;
        producer.enqueueOne({ seq: 1 }).catch(reject);
      });
    oneTrip.push([`BullMQ queue.add() (Redis ${redis.version}, called -> handler)`, added]);
  } catch (err) {
    console.log(`(BullMQ left out: ${err instanceof Error ? err.message : String(err)})`);
    await store.close();
  }
  console.log('into an idle worker, after 10 ms idle, the steps taking turns, p50:');
  const p50s = await medians(oneTrip.map(([, step]) => step), 10);
  oneTrip.forEach(([label], i) => console.log(`  ${p50s[i]!.toFixed(3)} ms  ${label}`));
  const p50Of = (ms: number[]): string => (ms.length ? ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)]!.toFixed(3) : '-');
  const replyFirst = arrivals.filter((a) => a.replyFirst).map((a) => a.ms);
  const heardFirst = arrivals.filter((a) => !a.replyFirst).map((a) => a.ms);
  console.log(
    `pgq.enqueue() handed off: the notification reached this process first in ${heardFirst.length} of ${arrivals.length} (p50 ${p50Of(heardFirst)} ms), ` +
      `the enqueue's reply first in ${replyFirst.length} (p50 ${p50Of(replyFirst)} ms)`,
  );
} finally {
  if (bull) {
    await bull.producer.close();
    await bull.worker.stop();
    await bull.store.close();
  }
  await worker?.stop();
  await running;
  await pgq?.stop();
  await listener?.end();
  await client.query(`DROP TABLE IF EXISTS ${table}, ${table}_notified`);
  await client.query(`DROP FUNCTION IF EXISTS ${table}_notify()`);
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
  await server.stop();
}
