import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryDelayMs } from '../../src/worker/retry-delay.js';

const policy = { maxAttempts: 10, initialDelayMs: 1_000, maxDelayMs: 10_000 };

test('doubles from the initial delay, capped at the maximum, with equal jitter', () => {
  const low = (n: number) => retryDelayMs(policy, n, () => 0);
  const high = (n: number) => retryDelayMs(policy, n, () => 1);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(low), [500, 1_000, 2_000, 4_000, 5_000, 5_000]);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(high), [1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
});

test('jitter spreads retries of jobs that failed together', () => {
  const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(policy, 3)));
  assert.ok(delays.size > 25);
  for (const d of delays) assert.ok(d >= 2_000 && d <= 4_000);
});

test('a zero initial delay retries immediately', () => {
  assert.equal(retryDelayMs({ maxAttempts: 3, initialDelayMs: 0, maxDelayMs: 0 }, 2), 0);
});
