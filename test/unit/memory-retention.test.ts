/**
 * The in-memory backend forgets what retention pruned, as PostgreSQL does: a parent's links to
 * children whose history is gone (retention.ts deletes those job_dependencies rows). Without
 * it, a long-lived in-memory queue of flows would grow without bound.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBackend } from '../../src/memory/memory-backend.js';
import type { EnqueueRow } from '../../src/port/rows.js';

const row = (after: EnqueueRow['after'] = null): EnqueueRow => ({
  entrypoint: 'flow', priority: 0, payload: '{}', headers: null, executeAt: null, delayMs: null, dedupeKey: null,
  onConflict: 'error', dedupeWindowMs: null, after, runOnParentFailure: false,
});

test('pruning the history of a finished flow drops its parent-child links', async () => {
  const backend = new MemoryBackend();
  const worker = 'w';
  const policy = { name: 'flow', concurrencyLimit: 0, ratePerSecond: 0, burst: 0, groupConcurrency: 0 };
  const [parent] = await backend.enqueue([row()]);
  await backend.enqueue([row([{ id: parent! }])]);
  for (let i = 0; i < 2; i++) {
    const { jobs } = await backend.claim({ workerId: worker, entrypoints: [policy], capacity: 10, promote: true });
    assert.equal(jobs.length, 1);
    await backend.complete(worker, [{ id: jobs[0]!.id, attempt: jobs[0]!.attempt, entrypoint: 'flow', outcome: 'successful', durationMs: 1 }]);
  }
  const links = () => (backend as unknown as { children: Map<number, number[]> }).children.size;
  assert.equal(links(), 1, 'the finished flow still has its history');
  await backend.prune({ maxAgeMs: null, maxRows: 0 });
  assert.equal(links(), 0);
});
