import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import { OutcomeRefusedError } from '../../src/port/outcome-refused.js';
import type { Completion } from '../../src/port/rows.js';
import { CompletionWriter } from '../../src/worker/completion-writer.js';
import { deferred, within } from '../support/wait.js';

const outcome = (id: number, over: Partial<Completion> = {}): Completion => ({
  id,
  attempt: 1,
  entrypoint: 'e',
  outcome: 'successful',
  durationMs: 1,
  ...over,
});

/** A writer over a fake write that records each batch it was given and answers as `answer` says. */
function writer(answer: (batch: readonly Completion[]) => Promise<Set<number>> | Set<number> = (b) => new Set(b.map((c) => c.id)), maxBatch = 500) {
  const batches: number[][] = [];
  const accepted: number[] = [];
  const w = new CompletionWriter({
    write: async (batch) => {
      batches.push(batch.map((c) => c.id));
      return answer(batch);
    },
    maxBatch,
    drainTimeoutMs: 2_000,
    logger: silentLogger,
    written: (batch, ids) => accepted.push(...batch.filter((c) => ids.has(c.id)).map((c) => c.id)),
  });
  return { w, batches, accepted };
}

test('outcomes added in one tick share one write; an idle writer writes at once', async () => {
  const { w, batches, accepted } = writer();
  for (let id = 1; id <= 5; id++) w.add(outcome(id));
  await within(w.stop(), 2_000, 'the write');
  assert.deepEqual(batches, [[1, 2, 3, 4, 5]]);
  assert.deepEqual(accepted, [1, 2, 3, 4, 5]);
  assert.equal(w.busy, false);
});

test('while a write is in flight the next batch accumulates, at most maxBatch per write', async () => {
  const gate = deferred();
  let first = true;
  const { w, batches } = writer(async (batch) => {
    if (first) {
      first = false;
      await gate.promise;
    }
    return new Set(batch.map((c) => c.id));
  }, 3);
  w.add(outcome(1));
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  for (let id = 2; id <= 8; id++) w.add(outcome(id));
  // In flight: 1; waiting: 2..8. Both count as pending and keep their heartbeats.
  assert.equal(w.pendingCount, 8);
  assert.deepEqual(w.pendingIds().sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
  gate.resolve();
  await within(w.stop(), 2_000, 'the writes');
  assert.deepEqual(batches, [[1], [2, 3, 4], [5, 6, 7], [8]]);
});

test('a failed write keeps its outcomes and retries them', async () => {
  let calls = 0;
  const { w, batches, accepted } = writer((batch) => {
    if (calls++ === 0) throw new Error('connection lost');
    return new Set(batch.map((c) => c.id));
  });
  w.add(outcome(1));
  w.add(outcome(2));
  await within(w.stop(), 2_000, 'the retried write');
  assert.deepEqual(batches, [[1, 2], [1, 2]]);
  assert.deepEqual(accepted, [1, 2]);
});

test('a refused batch is written outcome by outcome; a refused outcome is recorded failed without its result', async () => {
  const written: Completion[] = [];
  const { w, batches, accepted } = writer((batch) => {
    if (batch.some((c) => c.id === 2 && c.result !== undefined)) throw new OutcomeRefusedError('unsupported Unicode escape sequence');
    written.push(...batch);
    return new Set(batch.map((c) => c.id));
  });
  w.add(outcome(1, { result: '{"ok":1}' }));
  w.add(outcome(2, { result: '"\\u0000"' }));
  w.add(outcome(3, { outcome: 'retried', error: { name: 'Error', message: 'x' }, retryDelayMs: 50 }));
  await within(w.stop(), 2_000, 'the writes');
  assert.deepEqual(batches, [[1, 2, 3], [1], [2], [2], [3]]);
  assert.deepEqual(accepted, [1, 2, 3]);
  const stripped = written.find((c) => c.id === 2)!;
  assert.equal(stripped.outcome, 'exception');
  assert.equal(stripped.result, undefined);
  assert.equal(stripped.error?.name, 'OutcomeNotStorable');
  assert.match(stripped.error!.message, /refused this job's successful outcome: unsupported Unicode/);
  assert.deepEqual(written.find((c) => c.id === 3), outcome(3, { outcome: 'retried', error: { name: 'Error', message: 'x' }, retryDelayMs: 50 }));
});

test('an outcome refused even without its result is given up alone; the others are written', async () => {
  const { w, accepted } = writer((batch) => {
    if (batch.some((c) => c.id === 2)) throw new OutcomeRefusedError('check constraint violated');
    return new Set(batch.map((c) => c.id));
  });
  for (const id of [1, 2, 3]) w.add(outcome(id));
  await within(w.stop(), 2_000, 'the writes');
  assert.deepEqual(accepted, [1, 3]);
  assert.equal(w.pendingCount, 0);
});

test('ids the backend did not accept (taken over by another worker) are not reported written', async () => {
  const { w, accepted } = writer(() => new Set([1]));
  w.add(outcome(1));
  w.add(outcome(2));
  await within(w.stop(), 2_000, 'the write');
  assert.deepEqual(accepted, [1]);
});

test('stop() gives up after drainTimeoutMs when the backend stays away', async () => {
  const w = new CompletionWriter({
    write: async () => {
      throw new Error('connection refused');
    },
    maxBatch: 10,
    drainTimeoutMs: 300,
    logger: silentLogger,
    written: () => assert.fail('nothing is written'),
  });
  w.add(outcome(1));
  await within(w.stop(), 5_000, 'stop() to give up');
  assert.equal(w.busy, false);
});
