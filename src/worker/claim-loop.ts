import { performance } from 'node:perf_hooks';
import type { Instruments } from '../observability/instruments.js';
import type { QueueBackend } from '../port/queue-backend.js';
import { PARENTS_HEADER, type ClaimedJob, type ClaimResult, type EntrypointClaimPolicy, type ReleasedJob } from '../port/rows.js';
import type { Logger } from '../types.js';
import { unstarted } from './give-back.js';

const CLAIM_RETRY_MIN_MS = 100;
/** Timers further out than this are left to the poll, so nothing is scheduled for days. */
const MAX_TIMER_MS = 60_000;

/** What the claim loop needs of its worker. */
export interface ClaimLoopParts {
  backend: QueueBackend;
  workerId: string;
  /** What every claim sends about the entrypoints: fixed once running. */
  policies: readonly EntrypointClaimPolicy[];
  pollIntervalMs: number;
  logger: Logger;
  instruments: Instruments;
  /** The worker is running: claims go out, timers are set. */
  running(): boolean;
  /** How many jobs to claim now: 0 while the worker holds enough. */
  room(): number;
  /** Claimed jobs, ready to start; `payloadBytes`: the claim's payloads, as JSON text. */
  deliver(jobs: ClaimedJob[], payloadBytes: number): void;
  /** Gives claimed jobs back unstarted. */
  release(jobs: ReleasedJob[]): Promise<void>;
  /** A claim came back (or failed): whether the database answers. */
  queried(err: unknown): void;
  /** A claim delivered its jobs: `full` when it took all it asked for (there is more). */
  claimed?(full: boolean): void;
}

/**
 * The wake/claim loop. Event driven rather than polling: NOTIFY, the poll timer, a due
 * deferred job and a freed slot all call `wake()`, and at most one claim is in flight, so
 * bursts of wake-ups collapse into one round trip that claims a batch.
 */
export class ClaimLoop {
  private inFlight: Promise<void> | undefined;
  private workPending = true;
  /** Deferred jobs may have come due since the last claim: the next claim promotes them. */
  private promotePending = true;
  private failures = 0;
  private blockedUntil = 0;
  private claimsStarted = 0;
  /** Per paused entrypoint, the number of the first claim sent after its pause was announced. */
  private readonly pausedSince = new Map<string, number>();
  private dueTimer: { at: number; timer: NodeJS.Timeout } | undefined;
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(private readonly parts: ClaimLoopParts) {}

  /** A claim is in flight. */
  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /**
   * There may be work to claim: claims as soon as capacity allows. `promote` when deferred
   * jobs may have come due (a timer, the poll), not only runnable ones been announced.
   */
  wake(promote = false): void {
    this.workPending = true;
    if (promote) this.promotePending = true;
    this.next();
  }

  /** Claims if there may be work and the worker has room for it. */
  next(): void {
    if (!this.parts.running() || this.inFlight || !this.workPending) return;
    const room = this.parts.room();
    if (room <= 0 || Date.now() < this.blockedUntil) return;
    this.workPending = false;
    this.inFlight = this.claim(room).finally(() => {
      this.inFlight = undefined;
      this.next();
    });
  }

  /** (Re)starts the poll: the fallback that finds work no notification announced. */
  pollEvery(ms: number): void {
    if (!this.parts.running()) return;
    clearInterval(this.pollTimer);
    this.pollTimer = setInterval(() => this.wake(true), ms);
  }

  /** A deferred job comes due in `ms`. */
  wakeIn(ms: number): void {
    if (ms > MAX_TIMER_MS || !this.parts.running()) return;
    const at = Date.now() + ms;
    if (this.dueTimer && this.dueTimer.at <= at) return;
    if (this.dueTimer) clearTimeout(this.dueTimer.timer);
    this.dueTimer = {
      at,
      timer: setTimeout(() => {
        this.dueTimer = undefined;
        this.wake(true);
      }, ms),
    };
  }

  /** Claims sent from now on read the pause; earlier ones are checked when they return. */
  paused(entrypoint: string): void {
    this.pausedSince.set(entrypoint, this.claimsStarted);
  }

  /** No more timers; resolves when the claim in flight, if any, is done. */
  async stop(): Promise<void> {
    clearInterval(this.pollTimer);
    if (this.dueTimer) clearTimeout(this.dueTimer.timer);
    await this.inFlight;
  }

  private async claim(capacity: number): Promise<void> {
    const { backend, logger } = this.parts;
    let claimed: ClaimResult;
    const t0 = performance.now();
    const claimNumber = this.claimsStarted++;
    const promote = this.promotePending;
    this.promotePending = false;
    try {
      claimed = await backend.claim({ workerId: this.parts.workerId, capacity, entrypoints: this.parts.policies, promote });
      this.failures = 0;
      this.parts.queried(undefined);
    } catch (err) {
      this.parts.queried(err);
      if (promote) this.promotePending = true;
      this.failures++;
      const delay = Math.min(this.parts.pollIntervalMs, CLAIM_RETRY_MIN_MS * 2 ** (this.failures - 1));
      this.blockedUntil = Date.now() + delay;
      this.workPending = true;
      logger.warn({ err, retryInMs: delay }, 'pgqueuer: claiming jobs failed; retrying');
      setTimeout(() => this.next(), delay);
      return;
    }
    const jobs = await this.withParents(claimed.jobs);
    logger.debug({ requested: capacity, claimed: jobs.length, ms: Math.round(performance.now() - t0) }, 'pgqueuer: claimed');
    for (const entrypoint of claimed.rateLimited) this.parts.instruments.rateLimited(entrypoint);
    if (!this.parts.running()) {
      // Stop was called while the claim was in flight: these never started.
      await this.parts.release(unstarted(jobs));
      return;
    }
    // A claim sent before a pause was announced may have read the queue before the pause
    // committed: what it brought of that entrypoint goes back unstarted.
    const paused = jobs.filter((j) => (this.pausedSince.get(j.entrypoint) ?? -1) > claimNumber);
    if (paused.length > 0) void this.parts.release(unstarted(paused));
    this.parts.deliver(paused.length > 0 ? jobs.filter((j) => !paused.includes(j)) : jobs, claimed.payloadBytes);
    this.parts.claimed?.(jobs.length >= capacity);
    if (jobs.length >= capacity) this.workPending = true;
    else if (!this.workPending) this.scheduleNextDue();
  }

  /**
   * Jobs that waited for parents get their parents' outcomes and results (ctx.parents), in one
   * read for the whole claim; a claim without such jobs costs nothing more. If the read fails,
   * those jobs go back unstarted and the others run.
   */
  private async withParents(jobs: ClaimedJob[]): Promise<ClaimedJob[]> {
    const waiting = jobs.filter((j) => Array.isArray(j.headers[PARENTS_HEADER]));
    if (waiting.length === 0) return jobs;
    try {
      const ids = [...new Set(waiting.flatMap((j) => j.headers[PARENTS_HEADER] as number[]))];
      const results = new Map((await this.parts.backend.parentResults(ids)).map((r) => [r.id, r]));
      for (const job of waiting) {
        job.parents = (job.headers[PARENTS_HEADER] as number[]).flatMap((id) => results.get(id) ?? []);
      }
      return jobs;
    } catch (err) {
      this.parts.logger.warn({ err, jobs: waiting.map((j) => j.id) }, "pgqueuer: reading the parents' results failed; those jobs go back to the queue");
      await this.parts.release(unstarted(waiting));
      return jobs.filter((j) => !waiting.includes(j));
    }
  }

  private scheduleNextDue(): void {
    this.parts.backend.nextDueInMs(this.parts.policies.map((p) => p.name)).then(
      (ms) => {
        if (ms !== null) this.wakeIn(Math.max(1, ms));
      },
      (err) => this.parts.logger.debug({ err }, 'pgqueuer: next-due lookup failed; the poll will cover it'),
    );
  }
}
