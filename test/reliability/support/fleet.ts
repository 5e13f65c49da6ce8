import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { scriptBundle } from '../../support/bundle.js';
import { within } from '../../support/wait.js';

const script = fileURLToPath(new URL('./chaos-worker.ts', import.meta.url));

export interface FleetWorker {
  tag: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Worker processes (chaos-worker.ts) that a scenario starts, kills and restarts. Each start gets
 * a fresh tag (w1, w2, ...), so the ledger tells the runs of a killed process from its successor's.
 */
export class Fleet {
  /** Running workers. */
  readonly workers = new Set<FleetWorker>();
  private readonly all = new Set<FleetWorker>();
  readonly killed: string[] = [];
  /** Workers stopped on purpose (SIGTERM): a supervisor does not replace these. */
  readonly terminated = new Set<string>();
  private started = 0;

  constructor(private readonly env: Record<string, string>) {}

  async start(extraEnv: Record<string, string> = {}): Promise<FleetWorker> {
    const tag = `w${++this.started}`;
    // Bundled (test/support/bundle.ts): a scenario starts dozens of workers, each of which took
    // most of a second of CPU to start through tsx.
    const child = spawn(process.execPath, [await scriptBundle(script)], {
      env: { ...process.env, ...this.env, ...extraEnv, WORKER_TAG: tag },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4_000)));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => line === 'ready' && resolve());
      void exited.then(({ code, signal }) => reject(new Error(`worker ${tag} exited (${code ?? signal}) before it was ready:\n${stderr}`)));
    });
    const worker = { tag, child, exited };
    this.all.add(worker);
    void exited.then(() => {
      this.workers.delete(worker);
      this.all.delete(worker);
    });
    try {
      await within(ready, 30_000, `worker ${tag} to start`);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    // Only running workers are listed (and so chosen as victims): a fault while starting tests nothing.
    if (child.exitCode === null && child.signalCode === null) this.workers.add(worker);
    return worker;
  }

  /** SIGKILL: no shutdown, nothing written; its jobs must be rescued. */
  async kill(worker: FleetWorker): Promise<void> {
    this.killed.push(worker.tag);
    worker.child.kill('SIGKILL');
    await within(worker.exited, 10_000, `worker ${worker.tag} to die`);
  }

  /** SIGTERM: a graceful stop, which must exit 0. */
  async terminate(worker: FleetWorker): Promise<void> {
    this.terminated.add(worker.tag);
    worker.child.kill('SIGTERM');
    const { code, signal } = await within(worker.exited, 30_000, `worker ${worker.tag} to stop`);
    if (code !== 0) throw new Error(`worker ${worker.tag} stopped with ${code ?? signal}, not 0`);
  }

  /** Kills whatever is left, started or starting (test cleanup). */
  async destroy(): Promise<void> {
    await Promise.all([...this.all].map((w) => (w.child.kill('SIGKILL'), w.exited)));
  }
}
