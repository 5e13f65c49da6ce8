import { performance } from 'node:perf_hooks';
import type { EnqueueResult, EnqueueTask, RateResult } from '../child/task.js';
import type { BenchPayload, System } from '../systems/system.js';

/** Untimed calls first, so prepared statements, pool connections and JIT are warm for all. */
const WARMUP_SINGLE = 20;

/**
 * Child side of the enqueue scenario: one producer, calls awaited one after another, as a
 * script or a request handler would. Batched: `batchJobs` jobs in calls of `batchSize`; then
 * one at a time: `singleJobs` calls, or as many as fit in the cap.
 */
export async function measureEnqueue(system: System, task: EnqueueTask): Promise<EnqueueResult> {
  const producer = await system.producer(task.url);
  try {
    const batch: BenchPayload[] = Array.from({ length: task.batchSize }, () => ({}));
    await producer.enqueueBatch(batch);
    for (let i = 0; i < WARMUP_SINGLE; i++) await producer.enqueueOne({});

    let t0 = performance.now();
    let done = 0;
    while (done < task.batchJobs) {
      const n = Math.min(task.batchSize, task.batchJobs - done);
      await producer.enqueueBatch(n === batch.length ? batch : batch.slice(0, n));
      done += n;
    }
    const batched = rate(done, performance.now() - t0, false);

    t0 = performance.now();
    const deadline = t0 + task.capMs;
    done = 0;
    while (done < task.singleJobs && performance.now() < deadline) {
      await producer.enqueueOne({});
      done++;
    }
    const single = rate(done, performance.now() - t0, done < task.singleJobs);
    return { kind: 'enqueue', batched, single };
  } finally {
    await producer.close();
  }
}

function rate(jobs: number, ms: number, capped: boolean): RateResult {
  return { jobs, seconds: ms / 1000, jobsPerSec: jobs / (ms / 1000), capped };
}
