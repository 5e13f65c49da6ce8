import { runInChild } from '../child/spawn-task.js';
import type { DrainResult } from '../child/task.js';
import type { System } from '../systems/system.js';
import { childTimeoutMs, type Scenario, type ScenarioContext } from './scenario.js';

/**
 * (4) Does dequeue cost stay flat as the backlog grows? The same number of jobs
 * (`--depth-sample`, default 5,000) is drained from a queue of `--shallow` (10,000) jobs and
 * from one of `--deep` (1,000,000), each in a fresh clone and a fresh worker process, timed
 * from the first handler call to the start of the last sampled job. Only the backlog depth
 * differs, so deep ÷ shallow near 1 means claims cost the same however many jobs wait; well
 * below 1 means the claim scans, sorts or locks something that grows with the queue.
 */
export const depthScenario: Scenario = {
  selectedBy: ['depth'],
  backlogs: (options) => [options.shallow, options.deep],
  async measure(system, ctx) {
    const shallow = await drainSample(system, ctx, ctx.options.shallow);
    const deep = await drainSample(system, ctx, ctx.options.deep);
    return [
      { metric: 'depth.shallowPerSec', value: shallow.jobsPerSec, detail: { jobs: shallow.jobs, seconds: shallow.seconds, capped: shallow.capped } },
      { metric: 'depth.deepPerSec', value: deep.jobsPerSec, detail: { jobs: deep.jobs, seconds: deep.seconds, capped: deep.capped } },
      { metric: 'depth.ratio', value: deep.jobsPerSec / shallow.jobsPerSec },
    ];
  },
};

async function drainSample(system: System, { options, databases }: ScenarioContext, backlog: number): Promise<DrainResult> {
  const db = await databases.withBacklog(system, backlog, `depth_${backlog}`);
  try {
    await databases.checkpoint();
    return await runInChild<DrainResult>(
      { kind: 'drain', systemId: system.id, url: db.url, target: options.depthSample, untilEmpty: false, capMs: options.capMs },
      childTimeoutMs(options.capMs),
    );
  } finally {
    await db.drop();
  }
}
