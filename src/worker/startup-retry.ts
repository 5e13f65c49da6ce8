import { ConnectionError } from '../errors.js';
import type { Logger } from '../types.js';

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

/**
 * The database steps of a worker's start, retried while the database cannot be reached: a
 * worker deployed while its database restarts should wait for it, as a running worker rides
 * out the same outage, not die at once. Bounded (`startupRetryMs` from the start), so a wrong
 * address still fails, with the last connection error as the cause. Only connection failures
 * are retried; a missing grant or schema fails at once.
 */
export class StartupRetry {
  private readonly deadline: number;
  private attempts = 0;
  private aborted = false;
  private wakeUp: (() => void) | undefined;
  /** The connection failure being waited out, while waiting (readiness reports it). */
  waitingOn: ConnectionError | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly logger: Logger,
  ) {
    this.deadline = Date.now() + windowMs;
  }

  /** Stops retrying (the worker is stopping): a waiting `attempt` resolves undefined at once. */
  abort(): void {
    this.aborted = true;
    this.wakeUp?.();
  }

  /** Runs `step` until it succeeds; undefined when aborted meanwhile. */
  async attempt<T>(step: string, run: () => Promise<T>): Promise<T | undefined> {
    for (;;) {
      if (this.aborted) return undefined;
      try {
        const value = await run();
        this.waitingOn = undefined;
        return value;
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw err;
        const left = this.deadline - Date.now();
        if (left <= 0) {
          throw new ConnectionError(
            `run() gave up after trying for ${this.windowMs} ms (startupRetryMs), ${this.attempts + 1} attempts: ${err.message}`,
            err.target,
            { cause: err.cause ?? err },
          );
        }
        this.attempts++;
        this.waitingOn = err;
        const delay = Math.min(left, jittered(Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (this.attempts - 1))));
        this.logger.warn({ err, step, attempt: this.attempts, retryInMs: delay }, 'pgqueuer: cannot reach the database to start the worker; retrying');
        await this.sleep(delay);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}

/** Between half and all of `ms`: workers started together (a fleet after an outage) spread out. */
function jittered(ms: number): number {
  return ms / 2 + Math.random() * (ms / 2);
}
