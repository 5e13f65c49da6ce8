import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ChildResult, ChildTask } from './task.js';

const ENTRY = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

/**
 * Runs one task in a fresh Node process (through tsx) and resolves with its result. The child
 * is killed if it outlives `timeoutMs`, so a stuck library cannot hang the whole benchmark.
 */
export function runInChild<R extends ChildResult>(task: ChildTask, timeoutMs: number): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
      env: { ...process.env, BENCH_TASK: JSON.stringify(task) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled: ChildMessage | undefined;
    const timer = setTimeout(() => {
      settled ??= { type: 'error', message: `${task.kind} of ${task.systemId} did not finish within ${Math.round(timeoutMs / 1000)} s` };
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (message: ChildMessage) => {
      settled ??= message;
    });
    child.on('error', (err) => {
      settled ??= { type: 'error', message: err.message };
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (settled?.type === 'result') resolve(settled.result as R);
      else reject(new Error(settled?.message ?? `${task.kind} of ${task.systemId} exited with ${signal ?? `code ${code}`} and no result`));
    });
  });
}
