import type { Service } from '../lifecycle.js';
import type { QueueBackend } from '../port/queue-backend.js';
import type { RetentionPolicy } from '../port/rows.js';
import type { Logger } from '../types.js';

/** How many batches one round may delete before yielding to the next interval. */
const MAX_BATCHES_PER_ROUND = 100;

/**
 * Prunes the job log on an interval. Every worker runs one; the prune statement's try-lock
 * lets only one of them work at a time, the others skip the round.
 */
export class Retention implements Service {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;

  constructor(
    private readonly backend: QueueBackend,
    private readonly policy: RetentionPolicy,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.policy.maxAgeMs === null && this.policy.maxRows === null) return;
    this.timer = setInterval(() => {
      this.round ??= this.prune().finally(() => {
        this.round = undefined;
      });
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.round;
  }

  private async prune(): Promise<void> {
    let deleted = 0;
    try {
      for (let batch = 0; batch < MAX_BATCHES_PER_ROUND; batch++) {
        const result = await this.backend.prune(this.policy);
        deleted += result.deleted;
        if (!result.held) this.logger.debug({}, 'pgqueuer: another worker is pruning the job log; skipped this round');
        if (!result.held || !result.more) break;
      }
      if (deleted > 0) this.logger.debug({ deleted }, 'pgqueuer: pruned the job log');
    } catch (err) {
      this.logger.warn({ err }, 'pgqueuer: pruning the job log failed; retrying next interval');
    }
  }
}
