import type { Service } from '../lifecycle.js';
import type { Instruments } from '../observability/instruments.js';
import type { QueueBackend } from '../port/queue-backend.js';
import type { RescuePolicy } from '../port/rows.js';
import type { Logger } from '../types.js';

/**
 * Returns the jobs of lost workers to the queue: a running job whose heartbeat is older than
 * its entrypoint's `rescueAfterMs` goes back to `queued`, its lost attempt logged `rescued`.
 * Every worker runs one on its own timer; the rescue statement skips rows another worker has
 * locked, so sweeps never wait on each other.
 */
export class Rescuer implements Service {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly backend: QueueBackend,
    private readonly policies: readonly RescuePolicy[],
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly instruments: Instruments,
    /** Jobs went back to the queue: there is work to claim. */
    private readonly rescued: () => void,
  ) {}

  /** Sweeps once at once (a worker starting after a crash finds its jobs), then every interval. */
  async start(): Promise<void> {
    this.sweeping = this.sweep().finally(() => {
      this.sweeping = undefined;
    });
    await this.sweeping;
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep().finally(() => {
        this.sweeping = undefined;
      });
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  private async sweep(): Promise<void> {
    try {
      const counts = await this.backend.rescue(this.policies);
      if (counts.size === 0) return;
      this.instruments.rescued(counts);
      this.logger.warn({ rescued: Object.fromEntries(counts) }, 'pgqueuer: returned jobs of unresponsive workers to the queue');
      this.rescued();
    } catch (err) {
      this.logger.warn({ err }, 'pgqueuer: rescuing jobs of lost workers failed; retrying next interval');
    }
  }
}
