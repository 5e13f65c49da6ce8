import { performance } from 'node:perf_hooks';
import { RssSampler } from '../child/rss-sampler.js';
import type { DrainResult, DrainTask } from '../child/task.js';
import type { System } from '../systems/system.js';
import { pause, signal, within } from './timing.js';

/** How long a worker may take from start to its first job before the run counts as failed. */
const FIRST_JOB_TIMEOUT_MS = 60_000;
/** How often the database is asked whether the last outcomes are written, at the very end. */
const EMPTY_CHECK_MS = 10;

/**
 * Child side of the drain, depth and memory scenarios: starts the system's worker on a
 * database that already holds the backlog and times it from the first handler call, so that
 * startup work (migrations checks, connecting, LISTEN) is not counted as throughput.
 */
export async function measureDrain(system: System, task: DrainTask): Promise<DrainResult> {
  const rss = new RssSampler(50);
  rss.start();
  let started = 0;
  let firstAt = 0;
  const first = signal();
  const reached = signal();
  const half = Math.ceil(task.target / 2);
  const worker = await system.startWorker(task.url, () => {
    started++;
    if (started === 1) {
      firstAt = performance.now();
      rss.mark('start');
      first.resolve();
    }
    if (started === half) rss.mark('half');
    if (started === task.target) reached.resolve();
  });
  try {
    if ((await within(first.promise, FIRST_JOB_TIMEOUT_MS, 'timeout')) === 'timeout') {
      throw new Error(`${system.id}: no job started within ${FIRST_JOB_TIMEOUT_MS / 1000} s of starting the worker`);
    }
    const deadline = firstAt + task.capMs;
    const capped = (await within(reached.promise, deadline - performance.now(), 'capped')) === 'capped';
    let jobs = Math.min(started, task.target);
    if (!capped && task.untilEmpty) {
      // The last handlers have run; the drain is over when their outcomes are in the database.
      while (performance.now() < deadline && (await worker.unfinished()) > 0) await pause(EMPTY_CHECK_MS);
    }
    const end = Math.min(performance.now(), deadline);
    if (capped) jobs = Math.min(started, task.target);
    rss.mark('end');
    const seconds = (end - firstAt) / 1000;
    return {
      kind: 'drain',
      jobs,
      seconds,
      // The first job opens the clock, so n jobs span n - 1 intervals.
      jobsPerSec: jobs > 1 ? (jobs - 1) / seconds : 0,
      capped: capped || performance.now() > deadline,
      rss: rss.stop(),
    };
  } finally {
    await worker.stop();
  }
}
