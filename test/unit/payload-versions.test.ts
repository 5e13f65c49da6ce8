import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { defineJobs, SchemaDefinitionError, UnknownSchemaVersionError, ValidationError } from 'pgqueuer';
import { fingerprint, payloadFingerprint } from '../../src/schema/json-schema.js';
import { readStoredPayload } from '../../src/schema/read-payload.js';

const v1 = z.object({ n: z.string() });
const schema = defineJobs({
  count: {
    payload: z.object({ n: z.number() }),
    previous: [{ payload: v1, upcast: (old) => ({ n: Number(old.n) }) }],
  },
});
const def = schema.jobs.count;

test('the fingerprint is the payload shape alone: a changed result does not make a new version', () => {
  const a = defineJobs({ j: { payload: z.object({ n: z.number() }) } }).jobs.j;
  const b = defineJobs({ j: { payload: z.object({ n: z.number() }), result: z.string() } }).jobs.j;
  assert.equal(fingerprint(a), fingerprint(b));
  assert.equal(fingerprint(a), fingerprint(def));
});

test('a stored payload is read as the version its producer stamped', () => {
  assert.deepEqual(readStoredPayload('count', def, { n: '4' }, payloadFingerprint(v1)), { payload: { n: 4 }, version: { kind: 'previous', index: 0 } });
  assert.deepEqual(readStoredPayload('count', def, { n: 4 }, fingerprint(def)), { payload: { n: 4 }, version: { kind: 'current' } });
  assert.deepEqual(readStoredPayload('count', def, { n: 4 }, undefined), { payload: { n: 4 }, version: { kind: 'current' } });
  assert.deepEqual(readStoredPayload('count', def, { n: 4 }, 'other'), { payload: { n: 4 }, version: { kind: 'unknown-fits' } });
  assert.throws(() => readStoredPayload('count', def, { n: '4' }, undefined), ValidationError);
  assert.throws(
    () => readStoredPayload('count', def, { n: '4' }, 'other', 7),
    (err: unknown) => err instanceof UnknownSchemaVersionError && err.fingerprint === 'other' && err.known.length === 2 && /job 7 of "count"/.test(err.message),
  );
});

test('defineJobs refuses a bad "previous", naming the job and the entry', () => {
  const cases: Array<[() => unknown, RegExp]> = [
    [() => defineJobs({ j: { schedule: '* * * * *', previous: [] } } as never), /scheduled job has no payload/],
    [() => defineJobs({ j: { payload: z.object({}), previous: {} } } as never), /"previous" must be an array/],
    [() => defineJobs({ j: { payload: z.object({}), previous: [{ payload: z.string(), upcast: () => ({}) }] } } as never), /previous\[0\]\.payload must be a zod object/],
    [() => defineJobs({ j: { payload: z.object({}), previous: [{ payload: z.object({ a: z.string() }) }] } } as never), /previous\[0\]\.upcast must be a function/],
    [() => defineJobs({ j: { payload: z.object({}), previous: [{ payload: z.object({ a: z.string() }), upcast: () => ({}), up: 1 }] } } as never), /previous\[0\]: unknown key "up"/],
    [() => defineJobs({ j: { payload: z.object({ a: z.string() }), previous: [{ payload: z.object({ a: z.string() }), upcast: (o: unknown) => o }] } } as never), /previous\[0\]\.payload has the same shape as the current "payload"/],
  ];
  for (const [define, message] of cases) {
    assert.throws(define, (err: unknown) => err instanceof SchemaDefinitionError && /"j"|j:/.test(err.message) && message.test(err.message), String(message));
  }
});
