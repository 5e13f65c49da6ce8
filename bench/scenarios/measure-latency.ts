import { performance } from 'node:perf_hooks';
import type { LatencyResult, LatencyTask } from '../child/task.js';
import { percentile } from '../statistics.js';
import type { System } from '../systems/system.js';
import { pause, signal, within } from './timing.js';

/** Longest one job may take to start before the run counts as failed (pg-boss polls every 0.5 s). */
const SAMPLE_TIMEOUT_MS = 30_000;

/**
 * Child side of the latency scenario. Producer and worker live in this one process, so one
 * clock (performance.now()) times from just before the enqueue call to the first line of the
 * handler: the insert's round trip, the wake-up (NOTIFY or poll), the claim and the dispatch.
 * Jobs go one at a time, with a pause between them, so every job meets an idle worker.
 */
export async function measureLatency(system: System, task: LatencyTask): Promise<LatencyResult> {
  const waiting = new Map<number, (at: number) => void>();
  const worker = await system.startWorker(task.url, (payload) => {
    const at = performance.now();
    const seq = payload?.seq;
    if (seq === undefined) return;
    waiting.get(seq)?.(at);
    waiting.delete(seq);
  });
  const producer = await system.producer(task.url);
  const one = async (seq: number): Promise<number> => {
    const started = signal<number>();
    waiting.set(seq, started.resolve);
    const t0 = performance.now();
    await producer.enqueueOne({ seq });
    const at = await within(started.promise, SAMPLE_TIMEOUT_MS, undefined);
    if (at === undefined) throw new Error(`${system.id}: job ${seq} did not start within ${SAMPLE_TIMEOUT_MS / 1000} s`);
    return at - t0;
  };
  try {
    // Warm-up samples (negative seq) also prove the worker is listening before timing starts.
    for (let i = 1; i <= task.warmup; i++) {
      await one(-i);
      await pause(task.gapMs);
    }
    const samplesMs: number[] = [];
    const deadline = performance.now() + task.capMs;
    while (samplesMs.length < task.samples && performance.now() < deadline) {
      samplesMs.push(await one(samplesMs.length));
      await pause(task.gapMs + Math.random() * task.jitterMs);
    }
    return {
      kind: 'latency',
      samplesMs: samplesMs.map((ms) => Math.round(ms * 1000) / 1000),
      p50: percentile(samplesMs, 50),
      p95: percentile(samplesMs, 95),
      p99: percentile(samplesMs, 99),
      capped: samplesMs.length < task.samples,
    };
  } finally {
    await producer.close();
    await worker.stop();
  }
}
