import { randomUUID } from 'node:crypto';
import { JobNotFoundError, StateError, WaitTimeoutError } from '../errors.js';
import type { Service } from '../lifecycle.js';
import { NotificationCheck } from '../notification-check.js';
import { isLastingFailure } from '../port/lasting-failure.js';
import type { QueueBackend } from '../port/queue-backend.js';
import type { JobOutcome, Subscription } from '../port/rows.js';
import type { JobCompletion, Logger, WaitOptions } from '../types.js';

/** The poll interval while notifications do not arrive (unless pollIntervalMs is shorter). */
const DEAF_POLL_MS = 200;

interface Waiter {
  resolve(completion: JobCompletion): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Awaits job completions for any number of ids over one LISTEN connection. A notification
 * says which jobs finished; their outcomes are then read in one query per batch. Polling
 * covers notifications lost while the connection was down, so a wait never hangs on one, and
 * polls fast while its own probes do not come back (LISTEN through a transaction pooler).
 */
export class CompletionWatcher implements Service {
  private readonly waiters = new Map<number, Set<Waiter>>();
  private subscription: Promise<Subscription> | undefined;
  private readonly pending = new Set<number>();
  private fetching: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly notifications: NotificationCheck;
  private readonly deafPollMs: number;
  private deaf = false;

  constructor(
    private readonly backend: QueueBackend,
    private readonly pollIntervalMs: number,
    private readonly logger: Logger,
  ) {
    this.deafPollMs = Math.min(pollIntervalMs, DEAF_POLL_MS);
    this.notifications = new NotificationCheck(randomUUID(), {
      listener: 'waitFor',
      meanwhile: 'waitFor learns of finished jobs by polling',
      send: (token) => this.backend.probeCompletions(token),
      changed: (arriving) => {
        this.deaf = !arriving;
        this.restartPolling();
      },
      fastPollMs: this.deafPollMs,
      logger,
    });
  }

  /** Resolves once job `id` finished (successful, exception or canceled). */
  async waitFor(id: number, options: WaitOptions = {}): Promise<JobCompletion> {
    if (this.stopped) throw new StateError('this completion watcher was stopped');
    await this.start();
    return new Promise<JobCompletion>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      if (options.timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.removeWaiter(id, waiter);
          reject(new WaitTimeoutError(id, options.timeoutMs!));
        }, options.timeoutMs);
      }
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      set.add(waiter);
      this.startPolling();
      // Subscribed first, looked up second: a job finishing in between is caught either way.
      this.fetch([id]);
    });
  }

  /** Waits for several jobs at once (one lookup for all of them), in the order given. */
  waitForAll(ids: readonly number[], options: WaitOptions = {}): Promise<JobCompletion[]> {
    return Promise.all(ids.map((id) => this.waitFor(id, options)));
  }

  /** Stops listening; waits still pending reject with a `StateError`. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.notifications.stop();
    clearInterval(this.pollTimer);
    for (const [id, set] of this.waiters) {
      for (const w of set) {
        clearTimeout(w.timer);
        w.reject(new StateError(`stopped while waiting for job ${id}`));
      }
    }
    this.waiters.clear();
    const subscription = this.subscription;
    this.subscription = undefined;
    await (await subscription?.catch(() => undefined))?.close();
  }

  /** Subscribes to completion notifications; the first wait does it when nobody did. */
  async start(): Promise<void> {
    if (!this.subscription) {
      this.subscription = this.backend.subscribeCompletions({
        done: (ids) => this.fetch(ids.filter((id) => this.waiters.has(id))),
        reconnected: () => {
          this.fetch([...this.waiters.keys()]);
          this.notifications.probe();
        },
        error: () => this.notifications.suspend(),
        probed: (token) => this.notifications.received(token),
      });
      this.subscription.then(
        // LISTEN succeeding is no proof: through a transaction pooler it hears nothing.
        () => this.notifications.probe(),
        () => {
          this.subscription = undefined; // the next waitFor tries again
        },
      );
    }
    await this.subscription;
  }

  private startPolling(): void {
    this.pollTimer ??= setInterval(() => this.fetch([...this.waiters.keys()]), this.deaf ? this.deafPollMs : this.pollIntervalMs);
  }

  /** The poll's interval changed: waits in progress poll at the new one from now. */
  private restartPolling(): void {
    if (!this.pollTimer) return;
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.startPolling();
    if (this.deaf) this.fetch([...this.waiters.keys()]);
  }

  /** Queues ids for the next lookup; one lookup runs at a time and takes everything queued. */
  private fetch(ids: readonly number[]): void {
    for (const id of ids) this.pending.add(id);
    if (this.pending.size === 0 || this.fetching) return;
    this.fetching = (async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.pending.size > 0 && !this.stopped) {
        const batch = [...this.pending];
        this.pending.clear();
        try {
          const { finished, live } = await this.backend.outcomes(batch);
          for (const outcome of finished) this.settle(outcome);
          const seen = new Set([...live, ...finished.map((o) => o.id)]);
          for (const id of batch) if (!seen.has(id)) this.fail(id, new JobNotFoundError(id));
        } catch (err) {
          if (isLastingFailure(err)) {
            // A missing grant or schema: every later lookup would fail the same way, forever.
            for (const id of batch) this.fail(id, err as Error);
            continue;
          }
          // The poll retries these ids; a wait does not fail because one lookup did.
          this.logger.warn({ err }, 'pgqueuer: looking up job outcomes failed; retrying at the next poll');
        }
      }
    })().finally(() => {
      this.fetching = undefined;
      if (this.pending.size > 0) this.fetch([]);
    });
  }

  private settle(outcome: JobOutcome): void {
    const set = this.waiters.get(outcome.id);
    if (!set) return;
    this.waiters.delete(outcome.id);
    const completion: JobCompletion = { id: outcome.id, status: outcome.status };
    if (outcome.result !== undefined) completion.result = outcome.result;
    if (outcome.error !== undefined) completion.error = outcome.error;
    for (const w of set) {
      clearTimeout(w.timer);
      w.resolve(completion);
    }
    this.stopPollingIfIdle();
  }

  private fail(id: number, err: Error): void {
    const set = this.waiters.get(id);
    if (!set) return;
    this.waiters.delete(id);
    for (const w of set) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.stopPollingIfIdle();
  }

  private removeWaiter(id: number, waiter: Waiter): void {
    const set = this.waiters.get(id);
    set?.delete(waiter);
    if (set?.size === 0) this.waiters.delete(id);
    this.stopPollingIfIdle();
  }

  private stopPollingIfIdle(): void {
    if (this.waiters.size > 0) return;
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }
}
