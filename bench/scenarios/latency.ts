import { runInChild } from '../child/spawn-task.js';
import type { LatencyResult } from '../child/task.js';
import { childTimeoutMs, type Scenario } from './scenario.js';

/** Untimed jobs before the samples: connections, prepared statements, LISTEN in place. */
const WARMUP = 5;
/** Quiet time after each job, so its completion write is done before the next enqueue. */
const GAP_MS = 10;

/**
 * (3) Enqueue-to-start latency into an idle worker: `--latency-samples` single jobs, one at a
 * time, timed in one process from the enqueue call to the first line of the handler. For a
 * worker that only polls, the pause between samples is randomised over one polling interval
 * (otherwise every enqueue would land at the same point of its sleep and always wait ~the full
 * interval, or never).
 */
export const latencyScenario: Scenario = {
  selectedBy: ['latency'],
  backlogs: () => [0],
  async measure(system, { options, databases }) {
    const db = await databases.empty(system, 'latency');
    try {
      await databases.checkpoint();
      const r = await runInChild<LatencyResult>(
        {
          kind: 'latency',
          systemId: system.id,
          url: db.url,
          samples: options.latencySamples,
          warmup: WARMUP,
          gapMs: GAP_MS,
          jitterMs: system.pollOnlyIntervalMs ?? 0,
          capMs: options.capMs,
        },
        childTimeoutMs(options.capMs),
      );
      const detail = { samples: r.samplesMs.length, capped: r.capped };
      return [
        { metric: 'latency.p50', value: r.p50, detail: { ...detail, samplesMs: r.samplesMs } },
        { metric: 'latency.p95', value: r.p95, detail },
        { metric: 'latency.p99', value: r.p99, detail },
      ];
    } finally {
      await db.drop();
    }
  },
};
