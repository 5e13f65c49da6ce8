import { runInChild } from '../child/spawn-task.js';
import type { EnqueueResult } from '../child/task.js';
import { childTimeoutMs, type Scenario } from './scenario.js';

/**
 * (2) Enqueue throughput of one producer into an empty queue, no worker running: `--jobs` jobs
 * through the batch API in calls of `--batch-size`, then `--single-jobs` through the single-job
 * API, each call awaited before the next (capped at `--cap-seconds`).
 */
export const enqueueScenario: Scenario = {
  selectedBy: ['enqueue'],
  backlogs: () => [0],
  async measure(system, { options, databases }) {
    const db = await databases.empty(system, 'enqueue');
    try {
      await databases.checkpoint();
      const r = await runInChild<EnqueueResult>(
        {
          kind: 'enqueue',
          systemId: system.id,
          url: db.url,
          batchJobs: options.jobs,
          batchSize: options.batchSize,
          singleJobs: options.singleJobs,
          capMs: options.capMs,
        },
        childTimeoutMs(options.capMs) + options.jobs, // batched enqueue is not capped: allow ~1 ms per job
      );
      return [
        { metric: 'enqueue.batchedPerSec', value: r.batched.jobsPerSec, detail: { ...r.batched } },
        { metric: 'enqueue.singlePerSec', value: r.single.jobsPerSec, detail: { ...r.single } },
      ];
    } finally {
      await db.drop();
    }
  },
};
