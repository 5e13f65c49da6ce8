import { spawn, type ChildProcess } from 'node:child_process';
import type { CliStatus } from './log-level.js';
import { STOP, type ChildMessage } from './supervisor-channel.js';

/** How to start the worker child: `pgq run` with the options `pgq dev` was given. */
export interface WorkerCommand {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

interface Running {
  process: ChildProcess;
  exited: Promise<void>;
  /** We asked it to stop: its exit is not news. */
  stopAsked: boolean;
  /** It listens for a stop over the channel (see ChildMessage). */
  listening: boolean;
}

/**
 * A worker whose stop did not end its process this long after it was asked (its module hangs
 * while loading, say) is killed. Longer than the engine's default shutdown timeout (30 s),
 * which is what a graceful stop may take.
 */
const STOP_DEADLINE_MS = 60_000;

/**
 * Runs the worker as a child process and restarts it with new code: a restart stops the
 * child gracefully (running jobs finish or go back to the queue, as on any stop), waits for it
 * to exit, then starts a new one. A child that dies by itself (its module throws at load, say)
 * is reported and left down until the next restart: no restart loop on a broken file.
 */
export class WorkerSupervisor {
  private running: Running | undefined;
  private restarting: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly command: WorkerCommand,
    private readonly status: CliStatus,
  ) {}

  start(): void {
    this.spawn();
  }

  /**
   * Replaces the worker with one that loads the current code. Changes seen while a restart is
   * under way need no restart of their own: the new child has not loaded anything yet.
   */
  restart(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    this.restarting ??= (async () => {
      try {
        await this.stopChild();
        if (!this.stopping) this.spawn();
      } finally {
        this.restarting = undefined;
      }
    })();
    return this.restarting;
  }

  /** Stops the worker for good (gracefully) and resolves once its process is gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.restarting;
    await this.stopChild();
  }

  /** A second Ctrl-C: the worker's running handlers are abandoned and their jobs given back. */
  hurry(): void {
    // The child already stops gracefully (asked over the channel); a signal on top is its cue to skip the wait.
    this.running?.process.kill('SIGTERM');
  }

  private spawn(): void {
    const child = spawn(this.command.command, this.command.args, {
      env: this.command.env,
      // Out of the terminal's process group: a Ctrl-C reaches the supervisor only, which tells
      // the child over the channel. Were the child to get the signal as well, in whichever
      // order the two arrived, the second would read as "hurry" and abandon running jobs.
      detached: true,
      // The child's output is the worker's: straight to the terminal. It reads no input (a
      // process outside the foreground group that read the terminal would be stopped).
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const running: Running = {
      process: child,
      stopAsked: false,
      listening: false,
      exited: new Promise((resolve) => {
        child.once('error', (err) => {
          this.status.warn(`pgq: could not start the worker: ${err.message}`);
          if (this.running === running) this.running = undefined;
          resolve();
        });
        child.once('exit', (code, signal) => {
          if (this.running === running) this.running = undefined;
          if (!running.stopAsked) this.reportExit(code, signal);
          resolve();
        });
      }),
    };
    child.on('message', (message: Partial<ChildMessage> | null) => {
      if (message?.type === 'listening') running.listening = true;
    });
    this.running = running;
  }

  private reportExit(code: number | null, signal: NodeJS.Signals | null): void {
    const how = signal ? `was killed by ${signal}` : code === 0 ? 'stopped by itself' : `exited with code ${code}`;
    this.status.warn(`pgq: the worker ${how}; it starts again on the next change (Ctrl-C quits)`);
  }

  private async stopChild(): Promise<void> {
    const running = this.running;
    if (!running) return;
    running.stopAsked = true;
    const signal = (): void => void running.process.kill('SIGTERM');
    if (running.listening && running.process.connected) running.process.send(STOP, (err) => err && signal());
    else signal();
    const deadline = setTimeout(() => {
      this.status.warn(`pgq: the worker did not stop within ${STOP_DEADLINE_MS / 1000} s of being asked; killing it`);
      running.process.kill('SIGKILL');
    }, STOP_DEADLINE_MS);
    try {
      await running.exited;
    } finally {
      clearTimeout(deadline);
    }
  }
}
