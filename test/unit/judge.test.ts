import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobAbandonedSignal, JobCanceledSignal, JobTimeoutSignal, PermanentJobError, RetryLaterError, UnknownSchemaVersionError, ValidationError } from '../../src/errors.js';
import { giveBackDelayMs, judge, type Attempt } from '../../src/worker/judge.js';

const attempt = (over: Partial<Attempt> = {}): Attempt => ({
  attempt: 1,
  rescues: 0,
  snoozes: 0,
  onFailure: 'log',
  maxSnoozes: 3,
  retry: { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 60_000 },
  abortReason: undefined,
  maxResultBytes: 1_000,
  ...over,
});
const low = () => 0;

test('a return is successful; undefined stores no result, a value is stored as JSON text', () => {
  assert.deepEqual(judge({ ok: true, value: undefined }, attempt()), { outcome: 'successful' });
  assert.deepEqual(judge({ ok: true, value: { id: 'm-1', n: [1, 2] } }, attempt()), { outcome: 'successful', result: '{"id":"m-1","n":[1,2]}' });
  assert.deepEqual(judge({ ok: true, value: null }, attempt()), { outcome: 'successful', result: 'null' });
});

test('a return that JSON cannot store, or over maxResultBytes, fails the job at once', () => {
  const bigint = judge({ ok: true, value: { n: 1n } }, attempt());
  assert.equal(bigint.outcome, 'exception');
  assert.equal(bigint.error?.name, 'PayloadError');
  assert.match(bigint.error!.message, /result\.n is a bigint/);
  const big = judge({ ok: true, value: 'x'.repeat(2_000) }, attempt({ maxResultBytes: 100 }));
  assert.equal(big.outcome, 'exception');
  assert.match(big.error!.message, /over the limit of 100 bytes/);
});

test('a throw with attempts left is retried after the backoff, its error kept', () => {
  const verdict = judge({ ok: false, error: new Error('flaky') }, attempt({ attempt: 2 }), low);
  assert.equal(verdict.outcome, 'retried');
  assert.equal(verdict.retryDelayMs, 1_000); // 1,000 × 2^(2-1), half of it jittered away by random() = 0
  assert.equal(verdict.error?.message, 'flaky');
  assert.ok(verdict.failure instanceof Error);
});

test('a throw on the last attempt is an exception', () => {
  const verdict = judge({ ok: false, error: new Error('still broken') }, attempt({ attempt: 3 }));
  assert.deepEqual([verdict.outcome, verdict.error?.message, verdict.retryDelayMs], ['exception', 'still broken', undefined]);
});

test('attempts lost with their worker do not use the retry budget', () => {
  // Attempt 3 after two rescues is the first failure by the handler: retried.
  assert.equal(judge({ ok: false, error: new Error('x') }, attempt({ attempt: 3, rescues: 2 })).outcome, 'retried');
  assert.equal(judge({ ok: false, error: new Error('x') }, attempt({ attempt: 5, rescues: 2 })).outcome, 'exception');
});

test('PermanentJobError and ValidationError are not retried, whatever the policy', () => {
  assert.equal(judge({ ok: false, error: new PermanentJobError('gone') }, attempt()).outcome, 'exception');
  const invalid = new ValidationError('sendEmail', 'payload', [{ path: 'to', message: 'Invalid email', code: 'invalid_format' }], 7);
  const verdict = judge({ ok: false, error: invalid }, attempt());
  assert.equal(verdict.outcome, 'exception');
  assert.deepEqual(verdict.error?.details, { what: 'payload', issues: invalid.issues });
});

test('a throw after the job was canceled is canceled, not a failure to report', () => {
  const verdict = judge({ ok: false, error: new Error('aborted') }, attempt({ abortReason: new JobCanceledSignal(4) }));
  assert.equal(verdict.outcome, 'canceled');
  assert.equal(verdict.failure, undefined);
  // An abort for another reason (the worker shutting down) does not make it a cancellation.
  assert.equal(judge({ ok: false, error: new Error('aborted') }, attempt({ abortReason: new JobAbandonedSignal(4, 'shutdown') })).outcome, 'retried');
});

test('a thrown non-Error is kept as NonErrorThrown', () => {
  const verdict = judge({ ok: false, error: { code: 42 } }, attempt({ attempt: 3 }));
  assert.deepEqual(verdict.error, { name: 'NonErrorThrown', message: '{"code":42}' });
});

test('RetryLaterError snoozes for its delay, outside the retry budget, up to maxSnoozes; then the job fails for good', () => {
  const later = new RetryLaterError(5_000, 'rate limited');
  assert.deepEqual(judge({ ok: false, error: later }, attempt({ attempt: 3, snoozes: 2 })), {
    outcome: 'snoozed',
    error: { name: 'RetryLaterError', message: 'retry later (in 5000 ms): rate limited', stack: later.stack },
    retryDelayMs: 5_000,
  });
  // Two snoozes and one failure: with three attempts allowed, the fourth run is a retry.
  assert.equal(judge({ ok: false, error: new Error('x') }, attempt({ attempt: 3, snoozes: 2 }), low).outcome, 'retried');
  const spent = judge({ ok: false, error: later }, attempt({ attempt: 4, snoozes: 3 }));
  assert.equal(spent.outcome, 'exception');
  assert.equal(spent.error?.name, 'TooManySnoozes');
  assert.match(spent.error!.message, /3 times, its limit \(maxSnoozes 3\)/);
  assert.equal(judge({ ok: false, error: later }, attempt({ snoozes: 3, onFailure: 'hold' })).outcome, 'held');
});

test('a timed-out attempt fails with JobTimeoutError whatever it threw or returned; a job failing for good under hold is held', () => {
  const timedOut = judge({ ok: false, error: new Error('aborted') }, attempt({ abortReason: new JobTimeoutSignal(7, 100) }), low);
  assert.equal(timedOut.outcome, 'retried');
  assert.equal(timedOut.error?.name, 'JobTimeoutError');
  const returnedLate = judge({ ok: true, value: 'too late' }, attempt({ attempt: 3, abortReason: new JobTimeoutSignal(7, 100) }));
  assert.deepEqual([returnedLate.outcome, returnedLate.error?.name, returnedLate.result], ['exception', 'JobTimeoutError', undefined], 'a result after the limit is no result');
  const last = judge({ ok: false, error: new Error('boom') }, attempt({ attempt: 3, onFailure: 'hold' }));
  assert.deepEqual([last.outcome, last.error?.message], ['held', 'boom']);
});

test('a job canceled while it ran is canceled even when its handler then returned', () => {
  assert.deepEqual(judge({ ok: true, value: 'done anyway' }, attempt({ abortReason: new JobCanceledSignal(7) })), { outcome: 'canceled' });
});

test('a payload of an unknown version is given back (snoozed, growing delay, no attempt used), then fails saying why', () => {
  const unknown = new UnknownSchemaVersionError('mail', 7, 'feedfacefeedface', ['0123456789abcdef'], [{ path: 'locale', message: 'Required', code: 'invalid_type' }]);
  const first = judge({ ok: false, error: unknown }, attempt({ attempt: 3, retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 } }));
  assert.equal(first.outcome, 'snoozed', 'not retried nor failed, whatever the retry budget');
  assert.equal(first.retryDelayMs, 500);
  assert.equal(first.failure, unknown);
  assert.deepEqual([0, 1, 2, 5, 6, 50].map(giveBackDelayMs), [500, 1_000, 2_000, 16_000, 30_000, 30_000]);
  const last = judge({ ok: false, error: unknown }, attempt({ snoozes: 3, onFailure: 'hold' }));
  assert.equal(last.outcome, 'held');
  assert.equal(last.error?.name, 'UnknownSchemaVersion');
  assert.match(last.error!.message, /payload version feedfacefeedface, which this worker does not know .* given back 3 times .* \(maxSnoozes 3\)/);
  assert.deepEqual((last.error!.details as { fingerprint: string }).fingerprint, 'feedfacefeedface');
});
