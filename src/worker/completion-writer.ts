import type { Service } from '../lifecycle.js';
import { OutcomeRefusedError } from '../port/outcome-refused.js';
import type { Completion } from '../port/rows.js';
import { outcomeNotStorable } from '../port/system-records.js';
import type { Logger } from '../types.js';

export interface CompletionWriterOptions {
  write(batch: readonly Completion[]): Promise<Set<number>>;
  maxBatch: number;
  /** How long `stop()` keeps trying to write what is left before giving up on it. */
  drainTimeoutMs: number;
  logger: Logger;
  /** Called after each successful write, with the completions it carried and the ids the backend accepted. */
  written(batch: readonly Completion[], accepted: Set<number>): void;
}

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2_000;

/**
 * Batches job outcomes into as few statements as the load allows, without a timer delay:
 * while one write is in flight, the next batch accumulates; an idle worker writes at once.
 * A failed write (connection lost) keeps its outcomes and retries with backoff, so outcomes
 * are only lost if the process dies, in which case the jobs are rescued and run again. A batch
 * the backend refuses for what it carries (`OutcomeRefusedError`) is written again outcome by
 * outcome instead (see isolate()), so one bad outcome cannot hold up the others forever.
 */
export class CompletionWriter implements Service {
  /** Outcomes waiting for the next write. */
  private queued: Completion[] = [];
  /** What the write in flight carries and has not written yet. */
  private writing: readonly Completion[] = [];
  private loop: Promise<void> | undefined;
  private failures = 0;
  private giveUpAt = Number.POSITIVE_INFINITY;
  /** The last write was refused for its data: write the next batch outcome by outcome. */
  private refused = false;

  constructor(private readonly options: CompletionWriterOptions) {}

  /** Outcomes not yet written, including a write in flight. */
  get busy(): boolean {
    return this.queued.length > 0 || this.loop !== undefined;
  }

  /** How many outcomes are not written yet: their jobs are still picked in the database. */
  get pendingCount(): number {
    return this.queued.length + this.writing.length;
  }

  /** Ids of jobs whose outcome is not written yet (they still need heartbeats). */
  pendingIds(): number[] {
    return [...this.writing, ...this.queued].map((c) => c.id);
  }

  add(completion: Completion): void {
    this.queued.push(completion);
    this.loop ??= this.run().finally(() => {
      this.loop = undefined;
    });
  }

  /** Nothing to start: writing begins with the first `add()`. */
  async start(): Promise<void> {}

  /** Resolves once everything added is written, or `drainTimeoutMs` passed (the rest is given up: rescued later). */
  async stop(): Promise<void> {
    this.giveUpAt = Date.now() + this.options.drainTimeoutMs;
    while (this.loop) await this.loop;
  }

  private async run(): Promise<void> {
    // Yield once so outcomes finishing in the same tick share the statement.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0, this.options.maxBatch);
      this.writing = batch;
      try {
        if (this.refused) {
          this.refused = false;
          await this.isolate();
        } else {
          const accepted = await this.options.write(batch);
          this.written(batch, accepted);
        }
        this.failures = 0;
      } catch (err) {
        this.queued.unshift(...this.writing);
        this.writing = [];
        // Sent again one by one, at once: the same batch would fail the same way.
        if (err instanceof OutcomeRefusedError) {
          this.refused = true;
          continue;
        }
        this.failures++;
        const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.failures);
        if (Date.now() + delay > this.giveUpAt) {
          this.options.logger.error(
            { err, jobs: this.queued.map((c) => c.id) },
            'pgqueuer: could not record job outcomes before shutdown; the jobs will be rescued and run again',
          );
          this.queued = [];
          return;
        }
        this.options.logger.warn({ err, pending: this.queued.length }, 'pgqueuer: recording job outcomes failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * Writes outcomes one at a time. One that the backend refuses is written again without its
   * result and with an `OutcomeNotStorable` error in place of its own, so its job still ends
   * (a successful one as failed: its result is gone). Throws on any other failure, leaving in
   * `writing` what is not written yet.
   */
  private async isolate(): Promise<void> {
    while (this.writing.length > 0) {
      const completion = this.writing[0]!;
      try {
        this.written([completion], await this.options.write([completion]));
      } catch (err) {
        if (!(err instanceof OutcomeRefusedError)) throw err;
        const stripped: Completion = {
          id: completion.id,
          attempt: completion.attempt,
          entrypoint: completion.entrypoint,
          durationMs: completion.durationMs,
          outcome: completion.outcome === 'successful' ? 'exception' : completion.outcome,
          error: outcomeNotStorable(completion.outcome, err.message),
          ...(completion.retryDelayMs === undefined ? {} : { retryDelayMs: completion.retryDelayMs }),
        };
        this.options.logger.error({ err, jobId: completion.id }, 'pgqueuer: the database refused a job outcome; recording it without its result and error');
        try {
          this.written([stripped], await this.options.write([stripped]));
        } catch (again) {
          if (!(again instanceof OutcomeRefusedError)) throw again;
          // Not even that fits: give up on it. Unheartbeated, the job is rescued and run again,
          // at most MAX_RESCUES times.
          this.options.logger.error({ err: again, jobId: completion.id }, 'pgqueuer: the database refused a job outcome twice; the job will be rescued');
          this.writing = this.writing.slice(1);
        }
      }
    }
  }

  /**
   * Drops written outcomes from `writing` *before* telling the worker: it frees their slots by
   * pendingCount, and a worker told while they still count would not claim again until its poll.
   */
  private written(done: readonly Completion[], accepted: Set<number>): void {
    this.writing = this.writing.slice(done.length);
    this.options.written(done, accepted);
  }
}
