import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ConfigError, JobAbandonedSignal, JobCanceledSignal, PermanentJobError, StateError, ValidationError } from '../errors.js';
import type { Job, JobContext } from '../types.js';
import { toJsonText } from '../json-text.js';
import type { Logger } from '../logger.js';
import { noInstruments, type Instruments } from '../observability/instruments.js';
import { startJobSpan, type JobSpan } from '../observability/tracing.js';
import type { ClaimedJob, ClaimResult, Completion, EntrypointClaimPolicy, QueueBackend, RescuePolicy } from '../port/queue-backend.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { Maintenance } from '../maintenance/retention.js';
import { CompletionWriter } from './completion-writer.js';
import type { ResolvedEntrypoint } from './entrypoint-config.js';
import { serializeError } from './error-record.js';
import { retryDelayMs } from './retry-delay.js';

export interface WorkerOptions {
  /** Handlers running at once in this worker. Default 32. */
  concurrency: number;
  /** Fallback poll when no notification arrives. Default 1,000 ms. */
  pollIntervalMs: number;
  /** How often running jobs' heartbeats are refreshed and stale jobs rescued. Default 5,000 ms. */
  heartbeatIntervalMs: number;
  /** How long `stop()` waits for running handlers before giving their jobs back. Default 30,000 ms. */
  shutdownTimeoutMs: number;
  /** Largest stored handler result, in bytes of JSON. Default 1 MiB. */
  maxResultBytes: number;
}

interface Running {
  job: ClaimedJob;
  entry: ResolvedEntrypoint;
  controller: AbortController;
  startedAt: number;
  span: JobSpan;
  /** Given back (shutdown) or lost (rescued elsewhere): its outcome is no longer ours to record. */
  abandoned: boolean;
}

const CLAIM_RETRY_MIN_MS = 100;
/** Prefetch holds about this much work per slot, by the recent average handler duration. */
const PREFETCH_HORIZON_MS = 50;
/**
 * And at most this many jobs. Claims of a few hundred rows cost far less per job than claims
 * of a few dozen (measured: 26k -> 37k no-op jobs/s from 32 to 256), and gains stop beyond.
 */
const MAX_PREFETCH = 256;
/** Runs of one job lost with their worker before it is failed instead of run again. */
export const MAX_RESCUES = 5;
/** Timers further out than this are left to the poll, so nothing is scheduled for days. */
const MAX_TIMER_MS = 60_000;

/**
 * The worker loop. Event driven rather than a polling loop: NOTIFY, the poll timer, a due
 * deferred job and a freed slot all call `wake()`, and at most one claim is in flight, so
 * bursts of wake-ups collapse into one round trip that claims a batch.
 */
export class QueueManager {
  readonly workerId = randomUUID();
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private readonly running = new Map<number, Running>();
  /** Claimed ahead, not started yet (highest priority first): see prefetchTarget(). */
  private buffer: ClaimedJob[] = [];
  /** Moving average of handler durations, which sizes the prefetch; none before the first. */
  private averageHandlerMs: number | undefined;
  private readonly completions: CompletionWriter;
  private starting: Promise<void> | undefined;
  private claiming: Promise<void> | undefined;
  private workPending = true;
  private claimFailures = 0;
  private claimBlockedUntil = 0;
  private dueTimer: { at: number; timer: NodeJS.Timeout } | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeating: Promise<void> | undefined;
  private subscription: { close(): Promise<void> } | undefined;
  private resolveStopped: (() => void) | undefined;
  private resolveDrained: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private abandonNow: (() => void) | undefined;
  private readonly hasLimits: boolean;
  private readonly instruments: Instruments;
  /** What every claim and rescue sweep sends about the entrypoints: fixed once running. */
  private readonly claimPolicies: EntrypointClaimPolicy[];
  private readonly rescuePolicies: RescuePolicy[];

  constructor(
    private readonly backend: QueueBackend,
    private readonly entrypoints: ReadonlyMap<string, ResolvedEntrypoint>,
    private readonly options: WorkerOptions,
    private readonly logger: Logger,
    /** Started after the worker and stopped before it: cron schedules, log pruning. And metrics. */
    private readonly services: { scheduler?: Scheduler; maintenance?: Maintenance; instruments?: Instruments } = {},
  ) {
    this.instruments = services.instruments ?? noInstruments;
    const entries = [...entrypoints.values()];
    this.hasLimits = entries.some((e) => e.concurrencyLimit > 0 || e.ratePerSecond > 0);
    this.claimPolicies = entries.map((e) => ({ name: e.name, concurrencyLimit: e.concurrencyLimit, ratePerSecond: e.ratePerSecond, burst: e.burst }));
    this.rescuePolicies = entries.map((e) => ({ entrypoint: e.name, rescueAfterMs: e.rescueAfterMs }));
    this.completions = new CompletionWriter({
      write: (batch) => this.backend.complete(this.workerId, batch),
      maxBatch: 500,
      logger,
      onWritten: (batch, accepted) => {
        for (const c of batch) {
          if (accepted.has(c.id)) {
            this.instruments.recorded(c.entrypoint, c.outcome, c.durationMs);
          } else {
            this.logger.warn({ jobId: c.id, attempt: c.attempt }, 'pgqueuer: outcome ignored, the job was taken over by another worker');
          }
        }
        // Slots (and, for limited entrypoints, global capacity) free up once outcomes are written.
        if (this.hasLimits) this.wake();
        else this.claimNext();
      },
    });
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  /** Nothing running, claimed ahead, being claimed or waiting to be recorded in this worker. */
  get isIdle(): boolean {
    return this.running.size === 0 && this.buffer.length === 0 && !this.claiming && !this.completions.busy;
  }

  /** Starts claiming; resolves once `stop()` has finished. */
  async run(): Promise<void> {
    if (this.state !== 'idle') throw new StateError(`this worker was already started (state: ${this.state})`);
    if (this.entrypoints.size === 0) {
      throw new ConfigError('no entrypoints registered: call pgq.entrypoint(name, options, handler) before pgq.run()');
    }
    for (const entry of this.entrypoints.values()) {
      if (entry.rescueAfterMs <= 2 * this.options.heartbeatIntervalMs) {
        throw new ConfigError(
          `entrypoint "${entry.name}": rescueAfterMs (${entry.rescueAfterMs}) must exceed twice heartbeatIntervalMs (${this.options.heartbeatIntervalMs}), or live jobs would be rescued`,
        );
      }
    }
    this.state = 'running';
    const stopped = new Promise<void>((resolve) => {
      this.resolveStopped = resolve;
    });
    this.starting = this.startup();
    try {
      await this.starting;
    } catch (err) {
      this.state = 'stopped';
      await this.subscription?.close().catch(() => {});
      throw err;
    }
    await stopped;
  }

  private async startup(): Promise<void> {
    await this.backend.registerWorker({
      id: this.workerId,
      hostname: hostname(),
      pid: process.pid,
      entrypoints: [...this.entrypoints.keys()],
    });
    this.subscription = await this.backend.subscribe({
      enqueued: (entrypoint, delayMs) => {
        if (!this.entrypoints.has(entrypoint)) return;
        if (delayMs <= 0) this.wake();
        else this.wakeIn(delayMs);
      },
      cancelRequested: (ids) => this.cancelJobs(ids),
      reconnected: () => {
        this.logger.info({}, 'pgqueuer: notification listener reconnected');
        this.wake();
      },
      timeChanged: () => {
        this.wake();
        this.services.scheduler?.poke();
      },
      error: (err) => this.logger.warn({ err }, 'pgqueuer: notification listener failed; reconnecting (polling meanwhile)'),
    });
    // stop() may have been called meanwhile; it waits for this startup, then tears down.
    if (this.state !== 'running') return;
    this.pollTimer = setInterval(() => this.wake(), this.options.pollIntervalMs);
    this.heartbeatTimer = setInterval(() => this.beat(), this.options.heartbeatIntervalMs);
    this.logger.info({ workerId: this.workerId, entrypoints: [...this.entrypoints.keys()] }, 'pgqueuer: worker started');
    this.wake();
    await this.services.scheduler?.start();
    this.services.maintenance?.start();
  }

  /**
   * Stops claiming, waits up to `shutdownTimeoutMs` for running handlers, gives the jobs of
   * handlers still running back to the queue, records outcomes and releases the subscription.
   */
  stop(): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'stopped';
      return Promise.resolve();
    }
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Skips the rest of the shutdown wait (a second SIGINT): abandon running jobs now. */
  abandonRunning(): void {
    this.abandonNow?.();
  }

  private async shutdown(): Promise<void> {
    this.state = 'stopping';
    await this.starting?.catch(() => {});
    await this.services.scheduler?.stop();
    await this.services.maintenance?.stop();
    clearInterval(this.pollTimer);
    if (this.dueTimer) clearTimeout(this.dueTimer.timer);
    await this.claiming;
    // Claimed ahead but never started: straight back to the queue, attempt not used.
    const unstarted = this.buffer.splice(0);
    await this.releaseQuietly(unstarted.map((j) => ({ id: j.id, started: false })));

    if (this.running.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const drained = new Promise<void>((resolve) => {
        this.resolveDrained = resolve;
      });
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.options.shutdownTimeoutMs);
        this.abandonNow = resolve;
      });
      await Promise.race([drained, timedOut]);
      clearTimeout(timer);
    }
    const abandoned = [...this.running.values()];
    for (const r of abandoned) this.abandon(r, new JobAbandonedSignal(r.job.id, 'shutdown'));
    await this.releaseQuietly(abandoned.map((r) => ({ id: r.job.id, started: true })));

    await this.completions.drain(Date.now() + Math.max(5_000, this.options.heartbeatIntervalMs));
    clearInterval(this.heartbeatTimer);
    await this.heartbeating;
    await this.subscription?.close().catch(() => {});
    await this.backend.unregisterWorker(this.workerId).catch((err) => {
      this.logger.warn({ err }, 'pgqueuer: could not unregister worker');
    });
    this.state = 'stopped';
    this.logger.info({ workerId: this.workerId }, 'pgqueuer: worker stopped');
    this.resolveStopped?.();
  }

  private wake(): void {
    this.workPending = true;
    this.claimNext();
  }

  private wakeIn(ms: number): void {
    if (ms > MAX_TIMER_MS || this.state !== 'running') return;
    const at = Date.now() + ms;
    if (this.dueTimer && this.dueTimer.at <= at) return;
    if (this.dueTimer) clearTimeout(this.dueTimer.timer);
    this.dueTimer = {
      at,
      timer: setTimeout(() => {
        this.dueTimer = undefined;
        this.wake();
      }, ms),
    };
  }

  /**
   * How many jobs to hold claimed ahead of the free slots: about PREFETCH_HORIZON_MS of work
   * at the current pace, at most MAX_PREFETCH. Fast handlers get big claims
   * (few round trips); slow ones get none, so no job waits in one worker while another idles.
   */
  private prefetchTarget(): number {
    if (this.averageHandlerMs === undefined) return 0;
    const perSlot = PREFETCH_HORIZON_MS / Math.max(this.averageHandlerMs, 0.01);
    return Math.min(MAX_PREFETCH, Math.floor(this.options.concurrency * perSlot));
  }

  private claimNext(): void {
    if (this.state !== 'running' || this.claiming || !this.workPending) return;
    // A finished job holds its slot until its outcome is written: without that backpressure a
    // fast worker piles up thousands of picked jobs whose outcomes wait, unheartbeated.
    const target = this.options.concurrency + this.prefetchTarget();
    const held = this.running.size + this.buffer.length + this.completions.pendingCount;
    const free = target - held;
    // A busy worker refills when half its capacity is free: one claim per many jobs.
    if (free <= 0 || (held > 0 && free < Math.ceil(target / 2))) return;
    if (Date.now() < this.claimBlockedUntil) return;
    this.workPending = false;
    this.claiming = this.claim(free).finally(() => {
      this.claiming = undefined;
      this.claimNext();
    });
  }

  private async claim(capacity: number): Promise<void> {
    let claimed: ClaimResult;
    const t0 = performance.now();
    try {
      claimed = await this.backend.claim({ workerId: this.workerId, capacity, entrypoints: this.claimPolicies });
      this.claimFailures = 0;
    } catch (err) {
      this.claimFailures++;
      const delay = Math.min(this.options.pollIntervalMs, CLAIM_RETRY_MIN_MS * 2 ** (this.claimFailures - 1));
      this.claimBlockedUntil = Date.now() + delay;
      this.workPending = true;
      this.logger.warn({ err, retryInMs: delay }, 'pgqueuer: claiming jobs failed; retrying');
      setTimeout(() => this.claimNext(), delay);
      return;
    }
    const { jobs, rateLimited } = claimed;
    this.logger.debug({ requested: capacity, claimed: jobs.length, ms: Math.round(performance.now() - t0) }, 'pgqueuer: claimed');
    for (const entrypoint of rateLimited) this.instruments.rateLimited(entrypoint);
    if (this.state !== 'running') {
      // Stop was called while the claim was in flight: these never started.
      await this.releaseQuietly(jobs.map((j) => ({ id: j.id, started: false })));
      return;
    }
    this.buffer = [...this.buffer, ...jobs].sort((a, b) => b.priority - a.priority || a.id - b.id);
    this.startBuffered();
    if (jobs.length >= capacity) this.workPending = true;
    else if (!this.workPending) this.scheduleNextDue();
  }

  private scheduleNextDue(): void {
    this.backend.nextDueInMs([...this.entrypoints.keys()]).then(
      (ms) => {
        if (ms !== null) this.wakeIn(Math.max(1, ms));
      },
      (err) => this.logger.debug({ err }, 'pgqueuer: next-due lookup failed; the poll will cover it'),
    );
  }

  private startBuffered(): void {
    while (this.running.size < this.options.concurrency && this.buffer.length > 0 && this.state === 'running') {
      this.start(this.buffer.shift()!);
    }
  }

  private start(job: ClaimedJob): void {
    const entry = this.entrypoints.get(job.entrypoint)!;
    if (job.cancelRequested) {
      this.record(job, { outcome: 'canceled', durationMs: 0, error: serializeError(new JobCanceledSignal(job.id)) });
      return;
    }
    if (job.rescues > MAX_RESCUES) {
      // Its worker was lost this many times: the job itself is the likely cause (OOM, crash).
      this.record(job, {
        outcome: 'exception',
        durationMs: 0,
        error: {
          name: 'TooManyRescues',
          message: `job ${job.id} was rescued from lost workers ${job.rescues} times; it may be crashing them, so it was not run again`,
        },
      });
      return;
    }
    const running: Running = {
      job,
      entry,
      controller: new AbortController(),
      startedAt: performance.now(),
      span: startJobSpan(job),
      abandoned: false,
    };
    this.running.set(job.id, running);
    this.instruments.started(job.entrypoint, job.queuedMs);
    const view: Job = {
      id: job.id,
      entrypoint: job.entrypoint,
      payload: job.payload,
      attempt: job.attempt,
      priority: job.priority,
      headers: job.headers,
      createdAt: job.createdAt,
    };
    const ctx: JobContext = { signal: running.controller.signal, logger: this.logger };
    running.span.run(async () => entry.handler(view, ctx)).then(
      (result) => this.finish(running, { ok: true, result }),
      (error: unknown) => this.finish(running, { ok: false, error }),
    );
  }

  private finish(running: Running, outcome: { ok: true; result: unknown } | { ok: false; error: unknown }): void {
    if (running.abandoned) return;
    this.running.delete(running.job.id);
    const { job, span } = running;
    const durationMs = performance.now() - running.startedAt;
    this.instruments.stopped(job.entrypoint);
    this.averageHandlerMs = this.averageHandlerMs === undefined ? durationMs : this.averageHandlerMs + (durationMs - this.averageHandlerMs) * 0.1;
    const [completion, error] = this.judge(running, outcome);
    if (error instanceof ValidationError) this.instruments.validationFailed(job.entrypoint, error.what, 'worker');
    // A cancellation is what was asked for, not a failure of the job.
    span.end(completion.outcome, completion.outcome === 'canceled' ? undefined : error);
    this.record(job, { ...completion, durationMs });
    this.afterFinish();
  }

  /** What a handler's return or throw means for its job, and the error to report if any. */
  private judge(
    { job, entry, controller }: Running,
    outcome: { ok: true; result: unknown } | { ok: false; error: unknown },
  ): [Omit<Completion, 'id' | 'attempt' | 'entrypoint' | 'durationMs'>, unknown] {
    if (outcome.ok) {
      if (outcome.result === undefined) return [{ outcome: 'successful' }, undefined];
      try {
        return [{ outcome: 'successful', result: toJsonText(outcome.result, 'result', this.options.maxResultBytes) }, undefined];
      } catch (err) {
        return [{ outcome: 'exception', error: serializeError(err) }, err];
      }
    }
    const error = serializeError(outcome.error);
    if (controller.signal.reason instanceof JobCanceledSignal) return [{ outcome: 'canceled', error }, outcome.error];
    if (isPermanent(outcome.error) || job.attempt - job.rescues >= entry.retry.maxAttempts) return [{ outcome: 'exception', error }, outcome.error];
    return [{ outcome: 'retry', error, retryDelayMs: retryDelayMs(entry.retry, job.attempt) }, outcome.error];
  }

  private afterFinish(): void {
    if (this.running.size === 0 && this.state === 'stopping') this.resolveDrained?.();
    this.startBuffered();
    this.claimNext();
  }

  private record(job: ClaimedJob, outcome: Omit<Completion, 'id' | 'attempt' | 'entrypoint'>): void {
    this.completions.add({ id: job.id, attempt: job.attempt, entrypoint: job.entrypoint, ...outcome });
  }

  /** Lets go of a running handler: its job was given back or taken over, its outcome is not ours. */
  private abandon(running: Running, reason: JobAbandonedSignal): void {
    running.abandoned = true;
    this.running.delete(running.job.id);
    running.controller.abort(reason);
    this.instruments.stopped(running.job.entrypoint);
    running.span.end('abandoned', reason);
  }

  /** A canceled job that is still only claimed ahead ends here, without running. */
  private cancelJobs(ids: readonly number[]): void {
    const canceled = new Set(ids);
    const [dropped, kept] = partition(this.buffer, (j) => canceled.has(j.id));
    this.buffer = kept;
    for (const job of dropped) {
      this.record(job, { outcome: 'canceled', durationMs: 0, error: serializeError(new JobCanceledSignal(job.id)) });
    }
    this.abortJobs(ids, (id) => new JobCanceledSignal(id));
  }

  private abortJobs(ids: readonly number[], reason: (id: number) => Error): void {
    for (const id of ids) {
      const running = this.running.get(id);
      if (running && !running.controller.signal.aborted) running.controller.abort(reason(id));
    }
  }

  private beat(): void {
    if (this.heartbeating) return;
    this.heartbeating = this.heartbeatOnce().finally(() => {
      this.heartbeating = undefined;
    });
  }

  private async heartbeatOnce(): Promise<void> {
    const ids = [...this.running.keys(), ...this.buffer.map((j) => j.id), ...this.completions.pendingIds()];
    try {
      const held = await this.backend.heartbeat(this.workerId, ids);
      const heldIds = new Set(held.map((h) => h.id));
      this.cancelJobs(held.filter((h) => h.cancelRequested).map((h) => h.id));
      // Claimed ahead but taken over meanwhile (a very late heartbeat): no longer ours to start.
      // Only jobs this heartbeat asked about can be judged by its answer.
      const asked = new Set(ids);
      this.buffer = this.buffer.filter((j) => !asked.has(j.id) || heldIds.has(j.id));
      for (const id of ids) {
        const running = this.running.get(id);
        if (running && !heldIds.has(id)) {
          // Our heartbeat came too late and another worker owns the job now.
          this.abandon(running, new JobAbandonedSignal(id, 'lost'));
          this.logger.warn({ jobId: id }, 'pgqueuer: job was rescued by another worker while running here');
        }
      }
      if (this.running.size === 0 && this.state === 'stopping') this.resolveDrained?.();
      if (this.state !== 'running') return;
      const rescued = await this.backend.rescue(this.rescuePolicies);
      if (rescued.size > 0) {
        this.instruments.rescued(rescued);
        this.logger.warn({ rescued: Object.fromEntries(rescued) }, 'pgqueuer: returned jobs of unresponsive workers to the queue');
        this.wake();
      }
    } catch (err) {
      this.logger.warn({ err }, 'pgqueuer: heartbeat failed; retrying next interval');
    }
  }

  private async releaseQuietly(jobs: Array<{ id: number; started: boolean }>): Promise<void> {
    if (jobs.length === 0) return;
    try {
      await this.backend.release(this.workerId, jobs);
    } catch (err) {
      this.logger.error({ err, jobs: jobs.map((j) => j.id) }, 'pgqueuer: could not give jobs back; they will be rescued after their heartbeat expires');
    }
  }
}

/** Failures another attempt cannot fix: declared permanent, or a payload/result that does not fit its schema. */
function isPermanent(error: unknown): boolean {
  return error instanceof PermanentJobError || error instanceof ValidationError;
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}
