import type { Logger } from '../logger.js';
import type { Completion } from '../queue/backend.js';

export interface CompletionWriterOptions {
  write(batch: readonly Completion[]): Promise<Set<number>>;
  maxBatch: number;
  logger: Logger;
  /** Called after each successful write, with the completions it carried. */
  onWritten(batch: readonly Completion[], accepted: Set<number>): void;
}

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2_000;

/**
 * Batches job outcomes into as few statements as the load allows, without a timer delay:
 * while one write is in flight, the next batch accumulates; an idle worker writes at once.
 * A failed write (connection lost) keeps its outcomes and retries with backoff, so outcomes
 * are only lost if the process dies, in which case the jobs are rescued and run again.
 */
export class CompletionWriter {
  private buffer: Completion[] = [];
  private writing: readonly Completion[] = [];
  private loop: Promise<void> | undefined;
  private failures = 0;
  private giveUpAt = Number.POSITIVE_INFINITY;

  constructor(private readonly options: CompletionWriterOptions) {}

  /** Outcomes not yet written, including a write in flight. */
  get busy(): boolean {
    return this.buffer.length > 0 || this.loop !== undefined;
  }

  /** How many outcomes are not written yet: their jobs are still picked in the database. */
  get pendingCount(): number {
    return this.buffer.length + this.writing.length;
  }

  /** Ids of jobs whose outcome is not written yet (they still need heartbeats). */
  pendingIds(): number[] {
    return [...this.writing, ...this.buffer].map((c) => c.id);
  }

  add(completion: Completion): void {
    this.buffer.push(completion);
    this.loop ??= this.run().finally(() => {
      this.loop = undefined;
    });
  }

  /** Waits until everything buffered is written, or until `deadline` (epoch ms) passes. */
  async drain(deadline: number): Promise<void> {
    this.giveUpAt = deadline;
    while (this.loop) await this.loop;
  }

  private async run(): Promise<void> {
    // Yield once so outcomes finishing in the same tick share the statement.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.options.maxBatch);
      this.writing = batch;
      try {
        const accepted = await this.options.write(batch);
        this.writing = [];
        this.failures = 0;
        this.options.onWritten(batch, accepted);
      } catch (err) {
        this.writing = [];
        this.buffer.unshift(...batch);
        this.failures++;
        const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.failures);
        if (Date.now() + delay > this.giveUpAt) {
          this.options.logger.error(
            { err, jobs: this.buffer.map((c) => c.id) },
            'pgqueuer: could not record job outcomes before shutdown; the jobs will be rescued and run again',
          );
          this.buffer = [];
          return;
        }
        this.options.logger.warn({ err, pending: this.buffer.length }, 'pgqueuer: recording job outcomes failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
