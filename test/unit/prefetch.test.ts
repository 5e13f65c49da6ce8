import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PREFETCH, MAX_PREFETCH_PAYLOAD_BYTES, PREFETCH_HORIZON_MS, PrefetchSizer } from '../../src/worker/prefetch.js';

test('nothing is claimed ahead before the first handler finished', () => {
  assert.equal(new PrefetchSizer(32).target(), 0);
});

test('about PREFETCH_HORIZON_MS of work per slot at the observed pace', () => {
  const sizer = new PrefetchSizer(4);
  sizer.observe(10);
  assert.equal(sizer.target(), 4 * (PREFETCH_HORIZON_MS / 10));
});

test('slow handlers get no claim-ahead, fast ones at most MAX_PREFETCH', () => {
  const slow = new PrefetchSizer(32);
  slow.observe(5_000);
  assert.equal(slow.target(), 0);
  const fast = new PrefetchSizer(32);
  fast.observe(0);
  assert.equal(fast.target(), MAX_PREFETCH);
});

test('the pace follows a tenth of each change, so one outlier does not swing it', () => {
  const sizer = new PrefetchSizer(1);
  sizer.observe(10); // average 10 ms: 5 jobs ahead
  sizer.observe(110); // average 20 ms: 2 jobs ahead
  assert.equal(sizer.target(), Math.floor(PREFETCH_HORIZON_MS / 20));
});

test('large payloads shrink the claim-ahead to about MAX_PREFETCH_PAYLOAD_BYTES of them', () => {
  const sizer = new PrefetchSizer(32);
  sizer.observe(0);
  sizer.claimed(100, 100 * 100); // 100-byte payloads: the job count binds
  assert.equal(sizer.target(), MAX_PREFETCH);
  const large = new PrefetchSizer(32);
  large.observe(0);
  large.claimed(10, 10 * 64 * 1024);
  assert.equal(large.target(), MAX_PREFETCH_PAYLOAD_BYTES / (64 * 1024));
});

test('the payload size follows recent claims: one claim weighs at least a tenth', () => {
  const sizer = new PrefetchSizer(32);
  sizer.observe(0);
  for (let i = 0; i < 20; i++) sizer.claimed(100, 100 * 100);
  sizer.claimed(1, 1_000_100); // one 1 MB payload among small ones: the average rises by a tenth
  assert.equal(sizer.target(), Math.floor(MAX_PREFETCH_PAYLOAD_BYTES / (100 + 100_000)));
  for (let i = 0; i < 40; i++) sizer.claimed(100, 100 * 100);
  assert.equal(sizer.target(), MAX_PREFETCH);
});
