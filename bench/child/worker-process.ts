/**
 * Entry point of a measuring child process: `node --import tsx bench/child/worker-process.ts`
 * with the task as JSON in BENCH_TASK. It loads only the measured system, runs the task, sends
 * the result over the IPC channel and exits.
 */
import { measureDrain } from '../scenarios/measure-drain.js';
import { measureEnqueue } from '../scenarios/measure-enqueue.js';
import { measureLatency } from '../scenarios/measure-latency.js';
import { loadSystem } from '../systems/registry.js';
import type { ChildMessage, ChildResult, ChildTask } from './task.js';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, (err: Error | null) => (err ? reject(err) : resolve())));
}

async function main(): Promise<void> {
  const task = JSON.parse(process.env.BENCH_TASK ?? 'null') as ChildTask | null;
  if (!task || !process.send) throw new Error('worker-process.ts is started by bench/run.ts, with BENCH_TASK and an IPC channel');
  const system = await loadSystem(task.systemId);
  let result: ChildResult;
  switch (task.kind) {
    case 'drain':
      result = await measureDrain(system, task);
      break;
    case 'enqueue':
      result = await measureEnqueue(system, task);
      break;
    case 'latency':
      result = await measureLatency(system, task);
      break;
  }
  await send({ type: 'result', result });
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    if (process.send) await send({ type: 'error', message }).catch(() => {});
    else console.error(message);
    process.exit(1);
  },
);
