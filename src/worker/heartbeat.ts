import type { Service } from '../lifecycle.js';
import type { QueueBackend } from '../port/queue-backend.js';
import type { HeldJob } from '../port/rows.js';
import type { Logger } from '../types.js';

/**
 * Keeps a worker's claim on its jobs alive: every interval, one statement refreshes the
 * heartbeat of every job the worker holds (running, claimed ahead, or waiting for its outcome
 * to be written). Its answer doubles as the fallback for lost notifications: a job missing
 * from it was taken over by another worker, and `cancelRequested` reveals a cancellation
 * whose NOTIFY never arrived; both go to `answered`. A failed beat is retried next interval.
 */
export class Heartbeat implements Service {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;

  constructor(
    private readonly backend: QueueBackend,
    private readonly workerId: string,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    /** The ids of every job the worker holds now. */
    private readonly held: () => number[],
    /** What the database said of the jobs asked about: the ones still held, with their cancel flags. */
    private readonly answered: (asked: ReadonlySet<number>, held: readonly HeldJob[]) => void,
    /** Each beat's outcome: undefined when the database answered, else the error. */
    private readonly beaten: (err: unknown) => void = () => {},
  ) {}

  async start(): Promise<void> {
    this.timer = setInterval(() => this.beat(), this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
  }

  private beat(): void {
    if (this.beating) return;
    this.beating = this.once().finally(() => {
      this.beating = undefined;
    });
  }

  private async once(): Promise<void> {
    const ids = this.held();
    try {
      const held = await this.backend.heartbeat(this.workerId, ids);
      this.beaten(undefined);
      this.answered(new Set(ids), held);
    } catch (err) {
      this.beaten(err);
      this.logger.warn({ err }, 'pgqueuer: heartbeat failed; retrying next interval');
    }
  }
}
