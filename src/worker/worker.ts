import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { JobCanceledSignal, StateError } from '../errors.js';
import type { Service } from '../lifecycle.js';
import { noInstruments, type Instruments } from '../observability/instruments.js';
import type { WorkerHealth } from '../observability/readiness.js';
import { assertRunnable, type ResolvedEntrypoint } from '../options.js';
import type { QueueBackend } from '../port/queue-backend.js';
import type { ClaimedJob, HeldJob, ReleasedJob } from '../port/rows.js';
import type { Logger, WorkerOptions } from '../types.js';
import { ClaimLoop } from './claim-loop.js';
import type { CompletionWriter } from './completion-writer.js';
import { serializeError } from './error-record.js';
import { giveBack, unstarted } from './give-back.js';
import { handOffFor, type HandOff } from './hand-off.js';
import { Heartbeat } from './heartbeat.js';
import { JobRunner } from './job-runner.js';
import type { Verdict } from './judge.js';
import { logOutcome } from './outcome-log.js';
import { completionOf, outcomeWriter } from './outcome-writer.js';
import { PrefetchQueue, PrefetchSizer } from './prefetch.js';
import { StartupRetry } from './startup-retry.js';
import { WorkListener, type JobEvents } from './work-listener.js';

export interface WorkerParts {
  /** Started after the worker and stopped before it, in order: scheduler, rescuer, retention. */
  services?: readonly Service[];
  instruments?: Instruments;
}

/**
 * The worker: its lifecycle, and the parts it wires together. Notifications, outcomes written
 * and freed slots wake the claim loop; claimed jobs wait in `prefetched` (highest priority
 * first) until a slot is free; the runner runs them, the completion writer records their
 * outcomes, the heartbeat keeps them owned.
 */
export class Worker {
  readonly workerId = randomUUID();
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  /** Claimed ahead of the free slots, not started yet (highest priority first): see PrefetchSizer. */
  private prefetched = new PrefetchQueue();
  private readonly prefetch: PrefetchSizer;
  private readonly runner: JobRunner;
  private readonly writer: CompletionWriter;
  private readonly heartbeat: Heartbeat;
  /** Where the backend can hand jobs to idle workers and an entrypoint has no limits. */
  private readonly handOff: HandOff | undefined;
  /** Entrypoints paused, as notifications told: a hand-off that crossed the pause goes back. */
  private readonly pausedNow = new Set<string>();
  private readonly listener: WorkListener;
  private readonly services: readonly Service[];
  private readonly instruments: Instruments;
  private starting: Promise<void> | undefined;
  private startupRetry: StartupRetry | undefined;
  /** Startup done: claims go out. */
  private claimingStarted = false;
  private databaseError: Error | undefined;
  private stopping: Promise<void> | undefined;
  private abandonNow: (() => void) | undefined;
  private unwatchInFlight: (() => void) | undefined;
  private readonly claims: ClaimLoop;
  private resolveDone!: () => void;
  /** Resolves once the worker has stopped, whoever stopped it. */
  readonly done = new Promise<void>((resolve) => {
    this.resolveDone = resolve;
  });

  constructor(
    private readonly backend: QueueBackend,
    private readonly entrypoints: ReadonlyMap<string, ResolvedEntrypoint>,
    private readonly options: WorkerOptions,
    private readonly logger: Logger,
    parts: WorkerParts = {},
  ) {
    this.instruments = parts.instruments ?? noInstruments;
    this.services = parts.services ?? [];
    const entries = [...entrypoints.values()];
    const hasLimits = entries.some((e) => e.concurrencyLimit > 0 || e.ratePerSecond > 0 || e.groupConcurrency > 0);
    this.prefetch = new PrefetchSizer(options.concurrency);
    this.claims = new ClaimLoop({
      backend,
      workerId: this.workerId,
      policies: entries,
      pollIntervalMs: options.pollIntervalMs,
      logger,
      instruments: this.instruments,
      running: () => this.state === 'running',
      room: () => this.prefetch.room(this.runner.size + this.prefetched.length, this.writer.pendingCount),
      deliver: (jobs, payloadBytes) => {
        this.prefetch.claimed(jobs.length, payloadBytes);
        this.prefetched.add(jobs);
        this.startPrefetched();
      },
      release: (jobs) => this.release(jobs),
      queried: (err) => this.queried(err),
      claimed: (full) => this.handOff?.claimed(full, this.listener.hearing),
    });
    this.runner = new JobRunner(entrypoints, {
      logger,
      instruments: this.instruments,
      maxResultBytes: options.maxResultBytes,
      ended: (job, verdict, durationMs) => this.ended(job, verdict, durationMs),
    });
    this.writer = outcomeWriter({
      backend,
      workerId: this.workerId,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      logger,
      instruments: this.instruments,
      // Slots (and, for limited entrypoints, global capacity) free up once outcomes are written.
      freed: () => (hasLimits ? this.claims.wake() : this.claims.next()),
    });
    this.heartbeat = new Heartbeat(
      backend,
      this.workerId,
      options.heartbeatIntervalMs,
      logger,
      () => this.heldIds(),
      (asked, held) => this.heartbeatAnswered(asked, held),
      (err) => this.queried(err),
    );
    this.handOff = handOffFor(backend, entries, {
      workerId: this.workerId,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      logger,
      free: () => options.concurrency - this.runner.size - this.prefetched.length,
      held: () => this.heldIds(),
    });
    this.listener = new WorkListener({
      backend,
      workerId: this.workerId,
      pollIntervalMs: options.pollIntervalMs,
      logger,
      claims: this.claims,
      handOff: this.handOff,
      claiming: () => this.claimingStarted,
    });
  }

  /** Every job this worker holds: running, claimed ahead, or waiting for its outcome to be written. */
  private heldIds(): number[] {
    return [...this.runner.ids(), ...this.prefetched.ids(), ...this.writer.pendingIds()];
  }

  /** The facts readiness probes judge: started, listening, and whether the database answers. */
  health(): WorkerHealth {
    const state = this.state === 'running' && !this.claimingStarted ? 'starting' : this.state;
    const health: WorkerHealth = { state, listening: this.listener.listening };
    const waiting = this.startupRetry?.waitingOn;
    if (state === 'starting' && waiting) health.startupWaitingOn = waiting;
    if (this.databaseError) health.databaseError = this.databaseError;
    return health;
  }

  /** A claim or heartbeat came back: the latest one tells whether the database answers. */
  private queried(err: unknown): void {
    this.databaseError = err === undefined ? undefined : err instanceof Error ? err : new Error(String(err));
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  /** Nothing running, claimed ahead, being claimed or waiting to be recorded in this worker. */
  get isIdle(): boolean {
    return this.runner.size === 0 && this.prefetched.length === 0 && !this.claims.busy && !this.writer.busy;
  }

  /** Subscribes, registers and starts claiming; resolves once running (`done` resolves at the end). */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new StateError(`this worker was already started (state: ${this.state})`);
    assertRunnable(this.entrypoints, this.options);
    this.state = 'running';
    this.starting = this.startup();
    try {
      await this.starting;
    } catch (err) {
      this.state = 'stopped';
      await this.listener.close();
      this.resolveDone();
      throw err;
    }
  }

  private async startup(): Promise<void> {
    // The database may be restarting as this worker starts: wait for it, for a while.
    const retry = (this.startupRetry = new StartupRetry(this.options.startupRetryMs, this.logger));
    await retry.attempt('registering the worker', () =>
      this.backend.registerWorker({
        id: this.workerId,
        hostname: hostname(),
        pid: process.pid,
        entrypoints: [...this.entrypoints.keys()],
      }),
    );
    if (this.state !== 'running') return;
    const events: JobEvents = {
      enqueued: (entrypoint, delayMs) => {
        if (!this.entrypoints.has(entrypoint)) return;
        if (delayMs <= 0) this.claims.wake();
        else this.claims.wakeIn(delayMs);
      },
      cancelRequested: (ids) => this.cancelJobs(ids),
      paused: (entrypoint) => this.paused(entrypoint),
      resumed: (entrypoint) => {
        this.pausedNow.delete(entrypoint);
        if (this.entrypoints.has(entrypoint)) this.claims.wake();
      },
      assigned: (job, payloadBytes, key) => this.handedOff(job, payloadBytes, key),
      timeChanged: () => {
        this.claims.wake(true);
        for (const service of this.services) service.timeChanged?.();
      },
    };
    await this.listener.start(events, retry);
    // stop() may have been called meanwhile; it waits for this startup, then tears down.
    if (this.state !== 'running') return;
    this.claims.pollEvery(this.options.pollIntervalMs);
    this.listener.probe();
    await this.heartbeat.start();
    this.handOff?.start();
    await this.writer.start();
    this.unwatchInFlight = this.instruments.watchInFlight(() => this.runner.countByEntrypoint());
    // Before the first claim: the rescuer returns jobs of crashed workers first, so they
    // compete by priority with fresh work instead of waiting behind it.
    for (const service of this.services) {
      await retry.attempt('starting the scheduler and maintenance', () => service.start());
      if (this.state !== 'running') return;
    }
    this.claimingStarted = true;
    this.logger.info({ workerId: this.workerId, entrypoints: [...this.entrypoints.keys()] }, 'pgqueuer: worker started');
    this.claims.wake(true);
  }

  /**
   * Stops claiming, waits up to `shutdownTimeoutMs` for running handlers, gives the jobs of
   * handlers still running back to the queue, records outcomes and releases the subscription.
   */
  stop(): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'stopped';
      this.resolveDone();
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
    this.startupRetry?.abort();
    await this.starting?.catch(() => {});
    // First: enqueues hand it nothing more while it stops.
    await this.handOff?.stop();
    for (const service of [...this.services].reverse()) await service.stop();
    this.listener.stopChecking();
    await this.claims.stop();
    // Claimed ahead but never started: straight back to the queue, attempt not used.
    await this.release(unstarted(this.prefetched.takeAll()));

    const settled = this.runner.idleWithin(this.options.shutdownTimeoutMs);
    this.abandonNow = settled.cut;
    await settled.idle;
    const abandoned = this.runner.abandonAll('shutdown');
    await this.release(abandoned.map((j) => ({ id: j.id, started: true })));

    await this.writer.stop();
    await this.heartbeat.stop();
    await this.listener.close();
    await this.backend.unregisterWorker(this.workerId).catch((err) => {
      this.logger.warn({ err }, 'pgqueuer: could not unregister worker');
    });
    this.unwatchInFlight?.();
    this.state = 'stopped';
    this.logger.info({ workerId: this.workerId }, 'pgqueuer: worker stopped');
    this.resolveDone();
  }

  /** There may be work to claim (see ClaimLoop.wake). */
  wake(promote = false): void {
    this.claims.wake(promote);
  }

  private startPrefetched(): void {
    while (this.runner.size < this.options.concurrency && this.prefetched.length > 0 && this.state === 'running') {
      this.runner.start(this.prefetched.take()!);
    }
  }

  /** A job ended (its handler finished, or it was ended without running): queue its outcome. */
  private ended(job: ClaimedJob, verdict: Verdict, durationMs: number | undefined): void {
    this.writer.add(completionOf(job, verdict, durationMs));
    logOutcome(this.logger, job, verdict);
    if (durationMs === undefined) return;
    this.prefetch.observe(durationMs);
    this.startPrefetched();
    this.claims.next();
  }

  /** Canceled jobs: one still only claimed ahead ends here without running; a running one is told. */
  private cancelJobs(ids: readonly number[]): void {
    const canceled = new Set(ids);
    const dropped = this.prefetched.remove((j) => canceled.has(j.id));
    for (const job of dropped) this.ended(job, { outcome: 'canceled', error: serializeError(new JobCanceledSignal(job.id)) }, undefined);
    this.runner.cancel(ids);
  }

  /**
   * A job an enqueue handed to this worker. While stopping it is left to the stop, which gives
   * back what it does not hold; one that crossed a pause goes back unstarted.
   */
  private handedOff(job: ClaimedJob, payloadBytes: number, key: string): void {
    if (this.state !== 'running' || !this.handOff?.received(job.id, key)) return;
    if (this.pausedNow.has(job.entrypoint)) return void this.release(unstarted([job]));
    this.prefetch.claimed(1, payloadBytes);
    this.prefetched.add([job]);
    this.startPrefetched();
  }

  /** A paused entrypoint's jobs claimed ahead go back unstarted; running ones finish. */
  private paused(entrypoint: string): void {
    this.pausedNow.add(entrypoint);
    this.claims.paused(entrypoint);
    void this.release(unstarted(this.prefetched.remove((j) => j.entrypoint === entrypoint)));
  }

  private heartbeatAnswered(asked: ReadonlySet<number>, held: readonly HeldJob[]): void {
    const heldIds = new Set(held.map((h) => h.id));
    this.cancelJobs(held.filter((h) => h.cancelRequested).map((h) => h.id));
    // Claimed ahead but taken over meanwhile (a very late heartbeat): no longer ours to start.
    // Only jobs this heartbeat asked about can be judged by its answer.
    this.prefetched.remove((j) => asked.has(j.id) && !heldIds.has(j.id));
    for (const id of asked) {
      if (heldIds.has(id) || !this.runner.has(id)) continue;
      // Our heartbeat came too late and another worker owns the job now.
      this.runner.abandon(id, 'lost');
      this.logger.warn({ jobId: id }, 'pgqueuer: job was rescued by another worker while running here');
    }
  }

  private release(jobs: readonly ReleasedJob[]): Promise<void> {
    return giveBack(this.backend, this.workerId, this.logger, jobs);
  }
}
