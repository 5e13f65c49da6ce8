import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PayloadError } from '../../src/errors.js';
import { toJsonText } from '../../src/json-text.js';

test('plain JSON values pass through as JSON.stringify writes them', () => {
  const value = { a: 1, b: 'two', c: [true, null, { d: 1.5 }], when: new Date(0), skipped: undefined };
  assert.equal(toJsonText(value, 'payload', 1_000), JSON.stringify(value));
  assert.equal(toJsonText(undefined, 'payload', 1_000), 'null');
});

test('a shared (non-cyclic) object referenced twice is fine', () => {
  const shared = { x: 1 };
  assert.equal(toJsonText({ a: shared, b: shared }, 'payload', 1_000), '{"a":{"x":1},"b":{"x":1}}');
});

test('the error names the path of the offending value', () => {
  assert.throws(() => toJsonText({ list: [{ 'odd key': Infinity }] }, 'payload', 1_000), (err: unknown) => {
    assert.ok(err instanceof PayloadError);
    assert.equal(err.path, 'payload.list[0]["odd key"]');
    assert.equal(err.message, 'payload.list[0]["odd key"] is Infinity, which JSON cannot represent');
    return true;
  });
  assert.throws(() => toJsonText({ ['k\u0000']: 1 }, 'payload', 1_000), /has a key containing the NUL character/);
  assert.throws(() => toJsonText(new Set([1]), 'result', 1_000), /result is a Set/);
  assert.throws(() => toJsonText(Symbol('s'), 'result', 1_000), /result is a symbol/);
});

test('size is measured in UTF-8 bytes', () => {
  assert.equal(toJsonText('é'.repeat(4), 'payload', 10), '"éééé"');
  assert.throws(() => toJsonText('é'.repeat(5), 'payload', 11), /payload is 12 bytes as JSON, over the limit of 11 bytes/);
});
