/**
 * Adversarial input, gathered in one table: each bad input is refused with a typed error that
 * names what was wrong, and writes nothing. Against PostgreSQL (the in-memory backend shares
 * every check here: they run before a backend is reached).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createServer, type Server } from 'node:net';
import { ConfigError, ConnectionError, install, PayloadError, PgQueuer, type PgQueuerError } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let pgq: PgQueuer;
/** Answers every SSL request "N" (no SSL), as a server without SSL configured does. */
let noSsl: Server;
let noSslPort = 0;
before(async () => {
  noSsl = createServer((socket) => socket.once('data', () => socket.write('N')));
  await new Promise<void>((resolve) => noSsl.listen(0, '127.0.0.1', resolve));
  noSslPort = (noSsl.address() as { port: number }).port;
  db = await createTestDatabase();
  await install(db.url);
  pgq = await PgQueuer.connect(db.url);
});
after(async () => {
  noSsl.close();
  await pgq?.stop();
  await db.drop();
});

const jobCount = async (): Promise<number> => (await db.pool.query('SELECT count(*)::int AS n FROM pgqueuer.jobs')).rows[0].n;

function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

type Case = [what: string, call: () => unknown, error: new (...args: never[]) => PgQueuerError, message: RegExp];

const enqueues: Case[] = [
  ['a payload nested 5,000 levels', () => pgq.enqueue('e', nested(5_000)), PayloadError, /^payload[.a]+… nests deeper than 1000 levels$/],
  ['an invalid Date inside a payload', () => pgq.enqueue('e', { at: new Date('nope') }), PayloadError, /^payload\.at is an invalid Date/],
  ['an entrypoint with a NUL character', () => pgq.enqueue('e\u0000x', {}), ConfigError, /contains a NUL character or a broken UTF-16 surrogate/],
  ['an entrypoint with a lone surrogate', () => pgq.enqueue('e\uD800', {}), ConfigError, /contains a NUL character or a broken UTF-16 surrogate/],
  ['an entrypoint of 201 characters', () => pgq.enqueue('😀'.repeat(201), {}), ConfigError, /1 to 200 characters/],
  ['a dedupe key with a lone surrogate', () => pgq.enqueue('e', {}, { dedupeKey: 'k\uDC00' }), ConfigError, /^dedupeKey "k\\udc00" contains a NUL character or a broken UTF-16 surrogate/],
  ['a dedupe key of 3,000 bytes', () => pgq.enqueue('e', {}, { dedupeKey: 'k'.repeat(3_000) }), ConfigError, /^dedupeKey is 3000 bytes, over the limit of 1024 bytes/],
  ['executeAfter before PostgreSQL\'s earliest timestamp', () => pgq.enqueue('e', {}, { executeAfter: new Date(-8.64e15) }), ConfigError, /before PostgreSQL's earliest timestamp/],
  ['executeAfter of 1e300 ms', () => pgq.enqueue('e', {}, { executeAfter: 1e300 }), ConfigError, /later than a timestamp can be/],
  ['executeAfter NaN', () => pgq.enqueue('e', {}, { executeAfter: Number.NaN }), ConfigError, /got NaN$/],
  ['priority Infinity', () => pgq.enqueue('e', {}, { priority: Number.POSITIVE_INFINITY }), ConfigError, /got Infinity$/],
  ['a misspelt enqueue option', () => pgq.enqueue('e', {}, { prioirty: 5 } as never), ConfigError, /^enqueue: unknown option "prioirty" \(known: entrypoint, payload, priority/],
  ['enqueue options that are not an object', () => pgq.enqueue('e', {}, 5 as never), ConfigError, /^enqueue: options must be an object, got 5$/],
  ['enqueueMany([null])', () => pgq.enqueueMany([null as never]), ConfigError, /^jobs\[0\]: expected \{ entrypoint, payload, \.\.\.options \}, got null$/],
  ['enqueueMany with a client inside an item', () => pgq.enqueueMany([{ entrypoint: 'e', payload: {}, client: {} } as never]), ConfigError, /^jobs\[0\]: unknown option "client"/],
  ['enqueueMany of something not an array', () => pgq.enqueueMany({} as never), ConfigError, /expects an array/],
];

const options: Case[] = [
  ['a misspelt connect option', () => PgQueuer.connect(db.url, { concurency: 3 } as never), ConfigError, /^options: unknown option "concurency" \(known: schema, logger/],
  ['preparedStatements: "no"', () => PgQueuer.connect(db.url, { preparedStatements: 'no' } as never), ConfigError, /^preparedStatements must be true or false, got "no"$/],
  ['pollIntervalMs above 2^31 - 1', () => PgQueuer.connect(db.url, { pollIntervalMs: 3e9 }), ConfigError, /^pollIntervalMs must be milliseconds from 1 to 2147483647 \(about 24\.8 days\), got 3000000000$/],
  ['shutdownTimeoutMs above 2^31 - 1', () => PgQueuer.inMemory({ shutdownTimeoutMs: 3e9 }), ConfigError, /^shutdownTimeoutMs must be milliseconds from 1/],
  ['heartbeatIntervalMs NaN', () => PgQueuer.inMemory({ heartbeatIntervalMs: Number.NaN }), ConfigError, /got NaN$/],
  ['heartbeatIntervalMs -1', () => PgQueuer.inMemory({ heartbeatIntervalMs: -1 }), ConfigError, /got -1$/],
  ['retention.intervalMs above 2^31 - 1', () => PgQueuer.inMemory({ retention: { intervalMs: 3e9 } }), ConfigError, /^retention\.intervalMs must be milliseconds from 1/],
  ['retention: null', () => PgQueuer.inMemory({ retention: null as never }), ConfigError, /^retention must be/],
  ['a logger without methods', () => PgQueuer.inMemory({ logger: {} as never }), ConfigError, /^logger must have debug, info, warn and error methods/],
  ['retry: null', () => PgQueuer.inMemory().entrypoint('e', { retry: null as never }, async () => {}), ConfigError, /^entrypoint "e": retry must be \{ maxAttempts/],
  ['rateLimit: null', () => PgQueuer.inMemory().entrypoint('e', { rateLimit: null as never }, async () => {}), ConfigError, /^entrypoint "e": rateLimit must be \{ perSecond/],
  ['a misspelt retry option', () => PgQueuer.inMemory().entrypoint('e', { retry: { maxAttempts: 2, backoff: 1 } as never }, async () => {}), ConfigError, /^entrypoint "e": retry: unknown option "backoff"/],
  ['timeoutMs of 1e10', () => PgQueuer.inMemory().entrypoint('e', { timeoutMs: 1e10 }, async () => {}), ConfigError, /^entrypoint "e": timeoutMs must be milliseconds from 1 to 2147483647/],
  ['rescueAfterMs of 3e9', () => PgQueuer.inMemory().entrypoint('e', { rescueAfterMs: 3e9 }, async () => {}), ConfigError, /rescueAfterMs must be milliseconds from 1/],
  ['a schedule timeoutMs of 1e10', () => PgQueuer.inMemory().schedule('s', '* * * * *', async () => {}, { timeoutMs: 1e10 }), ConfigError, /timeoutMs must be milliseconds from 1/],
  ['waitFor timeoutMs of 1e10', () => pgq.waitFor(1, { timeoutMs: 1e10 }), ConfigError, /^waitFor: timeoutMs must be milliseconds from 1 to 2147483647/],
  ['waitFor timeoutMs NaN', () => pgq.waitFor(1, { timeoutMs: Number.NaN }), ConfigError, /got NaN$/],
  ['waitForAll of something not an array', () => pgq.waitForAll(7 as never), ConfigError, /^waitForAll expects an array of job ids, got 7$/],
  ['cancel of something not an array', () => pgq.cancel('1' as never), ConfigError, /^cancel expects an array of job ids/],
  ['SSL required by the URL, not offered by the server', () => PgQueuer.connect(`postgres://u@127.0.0.1:${noSslPort}/db?sslmode=require`), ConnectionError, /does not support SSL/],
  ['a connection URL that does not parse', () => PgQueuer.connect('postgres://u:secret@[::1'), ConfigError, /^the connection URL is not a valid URL .*: "…@\[::1"$/],
];

async function refused(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  assert.fail('accepted');
}

describe('bad input is a typed error naming what was wrong, and writes nothing', () => {
  for (const [what, call, type, message] of [...enqueues, ...options]) {
    test(what, async () => {
      const err = await refused(call);
      assert.ok(err instanceof type, `${what}: got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
      assert.match((err as Error).message, message);
      assert.equal(await jobCount(), 0);
    });
  }

  test('limits count characters, not UTF-16 units: 200 emoji make a valid entrypoint', async () => {
    const id = await pgq.enqueue('😀'.repeat(200), {});
    assert.equal((await pgq.getJob(id))?.entrypoint, '😀'.repeat(200));
    await pgq.deleteJobs([id]);
  });

  test('a payload nested 999 levels is stored', async () => {
    const id = await pgq.enqueue('deep', nested(999));
    assert.ok(await pgq.getJob(id));
    await pgq.deleteJobs([id]);
  });
});
