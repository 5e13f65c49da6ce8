import { runInChild } from '../child/spawn-task.js';
import type { DrainResult } from '../child/task.js';
import { childTimeoutMs, type Scenario } from './scenario.js';

/**
 * (1) Drain throughput and (5) worker memory, from one run: `--jobs` no-op jobs are queued
 * before the worker starts (cloned from a seeded template); a fresh worker process drains them.
 * Throughput is timed from the first handler call until the database holds no unfinished job,
 * so outcomes still buffered in the worker are counted as not done. RSS is sampled in the same
 * worker process every 50 ms.
 */
export const drainScenario: Scenario = {
  selectedBy: ['drain', 'memory'],
  backlogs: (options) => [options.jobs],
  async measure(system, { options, databases }) {
    const db = await databases.withBacklog(system, options.jobs, 'drain');
    try {
      await databases.checkpoint();
      const r = await runInChild<DrainResult>(
        { kind: 'drain', systemId: system.id, url: db.url, target: options.jobs, untilEmpty: true, capMs: options.capMs },
        childTimeoutMs(options.capMs),
      );
      const detail = { jobs: r.jobs, seconds: round(r.seconds), capped: r.capped };
      return [
        { metric: 'drain.jobsPerSec', value: r.jobsPerSec, detail },
        { metric: 'memory.startMb', value: r.rss.startMb, detail: { ...detail, timeline: r.rss.timeline } },
        { metric: 'memory.peakMb', value: r.rss.peakMb, detail },
        { metric: 'memory.endMb', value: r.rss.endMb, detail },
        { metric: 'memory.growthMb', value: round(r.rss.endMb - r.rss.startMb), detail },
        { metric: 'memory.lateGrowthMb', value: round(r.rss.endMb - r.rss.halfMb), detail: { ...detail, halfMb: r.rss.halfMb } },
      ];
    } finally {
      await db.drop();
    }
  },
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
