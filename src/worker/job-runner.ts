import { performance } from 'node:perf_hooks';
import { JobAbandonedSignal, JobCanceledSignal, JobTimeoutError, JobTimeoutSignal, UnknownSchemaVersionError, ValidationError } from '../errors.js';
import type { Instruments } from '../observability/instruments.js';
import { startJobSpan, type JobSpan } from '../observability/tracing.js';
import type { ResolvedEntrypoint } from '../options.js';
import type { ClaimedJob } from '../port/rows.js';
import { MAX_RESCUES, tooManyRescues } from '../port/system-records.js';
import type { Job, JobContext, JobHeaders, Logger, ParentResult } from '../types.js';

const NO_PARENTS: readonly ParentResult[] = Object.freeze([]);
import { serializeError } from './error-record.js';
import { failedForGood, judge, type HandlerResult, type Verdict } from './judge.js';

export interface JobRunnerOptions {
  logger: Logger;
  instruments: Instruments;
  maxResultBytes: number;
  /**
   * A job ended in this worker: record its outcome. `durationMs` is how long its handler ran,
   * undefined when it was ended without running.
   */
  ended(job: ClaimedJob, verdict: Verdict, durationMs: number | undefined): void;
}

/**
 * The context of one attempt, as its handler sees it. Its AbortController is made when the
 * handler first reads `signal` (most never do, and one costs), already aborted if the attempt
 * was canceled or abandoned before that. Only `signal`, `logger` and `parents` are visible to the handler.
 */
class AttemptContext implements JobContext {
  #controller: AbortController | undefined;
  #reason: Error | undefined;

  constructor(
    readonly logger: Logger,
    readonly parents: readonly ParentResult[],
  ) {}

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** The first reason wins: a job canceled, then abandoned at shutdown, stays canceled. */
  static abort(ctx: AttemptContext, reason: Error): void {
    if (ctx.#reason) return;
    ctx.#reason = reason;
    ctx.#controller?.abort(reason);
  }

  static reasonOf(ctx: AttemptContext): Error | undefined {
    return ctx.#reason;
  }
}

/** What the handler sees of a claimed job. `createdAt` becomes a Date only if it is read. */
class JobView implements Job {
  readonly id: number;
  readonly entrypoint: string;
  readonly payload: unknown;
  readonly attempt: number;
  readonly priority: number;
  readonly headers: JobHeaders;
  #createdAtMs: number;
  #createdAt: Date | undefined;

  constructor(job: ClaimedJob) {
    this.id = job.id;
    this.entrypoint = job.entrypoint;
    this.payload = job.payload;
    this.attempt = job.attempt;
    this.priority = job.priority;
    this.headers = job.headers;
    this.#createdAtMs = job.createdAtMs;
  }

  get createdAt(): Date {
    return (this.#createdAt ??= new Date(this.#createdAtMs));
  }
}

interface Running {
  job: ClaimedJob;
  entry: ResolvedEntrypoint;
  ctx: AttemptContext;
  startedAt: number;
  span: JobSpan;
  /**
   * Its outcome is decided, or no longer ours to record (given back at shutdown, lost to a
   * rescue): whatever its handler does later is ignored.
   */
  settled: boolean;
  /** The attempt's timeout, then the grace after it (only with `timeoutMs`). */
  timer: NodeJS.Timeout | undefined;
}

/**
 * How long a handler whose attempt timed out has to stop after its signal was aborted. Past
 * it the attempt is failed anyway, the slot freed, and whatever the handler does later ignored.
 */
const TIMEOUT_GRACE_MS = 1_000;

/**
 * Runs jobs in this worker, one handler call per job: starts it (with its span, signal and
 * metrics), judges how it ended, and lets go of it when it is canceled or abandoned. Knows
 * nothing of claiming or writing outcomes: it hands each verdict to `ended`.
 */
export class JobRunner {
  private readonly running = new Map<number, Running>();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly entrypoints: ReadonlyMap<string, ResolvedEntrypoint>,
    private readonly options: JobRunnerOptions,
  ) {}

  get size(): number {
    return this.running.size;
  }

  ids(): IterableIterator<number> {
    return this.running.keys();
  }

  has(id: number): boolean {
    return this.running.has(id);
  }

  /** Handlers running now, per entrypoint of this worker (0 for idle ones), for metrics. */
  countByEntrypoint(): Map<string, number> {
    const counts = new Map([...this.entrypoints.keys()].map((name) => [name, 0]));
    for (const { job } of this.running.values()) counts.set(job.entrypoint, (counts.get(job.entrypoint) ?? 0) + 1);
    return counts;
  }

  /** Resolves once no handler runs (at once when none does). */
  idle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** `idle` resolves once no handler runs, after `timeoutMs` at most, or at once when `cut` is called. */
  idleWithin(timeoutMs: number): { idle: Promise<void>; cut: () => void } {
    if (this.running.size === 0) return { idle: Promise.resolve(), cut: () => {} };
    let cut!: () => void;
    let timer: NodeJS.Timeout | undefined;
    const given = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      cut = resolve;
    });
    return { idle: Promise.race([this.idle(), given]).finally(() => clearTimeout(timer)), cut };
  }

  /**
   * Starts the job's handler, or ends the job without running it: canceled before it
   * started, or lost with its worker more than MAX_RESCUES times (it may be what kills them).
   * With `timeoutMs`, a timer aborts an attempt that runs longer (see timedOut()).
   */
  start(job: ClaimedJob): void {
    if (job.cancelRequested) {
      this.options.ended(job, { outcome: 'canceled', error: serializeError(new JobCanceledSignal(job.id)) }, undefined);
      return;
    }
    const entry = this.entrypoints.get(job.entrypoint)!;
    if (job.rescues > MAX_RESCUES) {
      const error = tooManyRescues(job.id, job.rescues);
      this.options.ended(job, failedForGood(error, entry.onFailure, error), undefined);
      return;
    }
    const running: Running = {
      job,
      entry,
      ctx: new AttemptContext(this.options.logger, job.parents ?? NO_PARENTS),
      startedAt: performance.now(),
      span: startJobSpan(job),
      settled: false,
      timer: entry.timeoutMs > 0 ? setTimeout(() => this.timedOut(running), entry.timeoutMs) : undefined,
    };
    this.running.set(job.id, running);
    this.options.instruments.started(job.entrypoint, job.queuedMs);
    let returned: unknown;
    try {
      returned = running.span.run(() => running.entry.handler(new JobView(job), running.ctx));
    } catch (error) {
      // A handler that throws before returning a promise: the same as one that rejects.
      returned = Promise.reject(error);
    }
    Promise.resolve(returned).then(
      (value) => this.finish(running, { ok: true, value }),
      (error: unknown) => this.finish(running, { ok: false, error }),
    );
  }

  /** Aborts the signals of these jobs' handlers, if they run here. */
  cancel(ids: readonly number[]): void {
    for (const id of ids) {
      const running = this.running.get(id);
      if (running) AttemptContext.abort(running.ctx, new JobCanceledSignal(id));
    }
  }

  /** Lets go of a running handler: its job was given back or taken over, its outcome is not ours. */
  abandon(id: number, why: JobAbandonedSignal['why']): ClaimedJob | undefined {
    const running = this.running.get(id);
    if (!running) return undefined;
    const reason = new JobAbandonedSignal(id, why);
    running.settled = true;
    this.remove(running);
    AttemptContext.abort(running.ctx, reason);
    running.span.end('abandoned', reason);
    return running.job;
  }

  /** Abandons every running handler (shutdown past its timeout); returns their jobs. */
  abandonAll(why: JobAbandonedSignal['why']): ClaimedJob[] {
    return [...this.running.keys()].flatMap((id) => this.abandon(id, why) ?? []);
  }

  /** The attempt ran past its timeout: its signal is aborted; past the grace, it is failed. */
  private timedOut(running: Running): void {
    const { job, entry } = running;
    AttemptContext.abort(running.ctx, new JobTimeoutSignal(job.id, entry.timeoutMs));
    running.timer = setTimeout(() => {
      this.options.logger.warn({ jobId: job.id, timeoutMs: entry.timeoutMs }, 'pgqueuer: a timed-out handler ignored its signal; its attempt is failed and its slot freed');
      this.finish(running, { ok: false, error: new JobTimeoutError(job.id, entry.timeoutMs) });
    }, TIMEOUT_GRACE_MS);
  }

  private finish(running: Running, result: HandlerResult): void {
    if (running.settled) return;
    running.settled = true;
    const { job, span } = running;
    const durationMs = performance.now() - running.startedAt;
    this.remove(running);
    const verdict = judge(result, {
      attempt: job.attempt,
      rescues: job.rescues,
      snoozes: job.snoozes,
      retry: running.entry.retry,
      onFailure: running.entry.onFailure,
      maxSnoozes: running.entry.maxSnoozes,
      abortReason: AttemptContext.reasonOf(running.ctx),
      maxResultBytes: this.options.maxResultBytes,
    });
    if (verdict.failure instanceof ValidationError) {
      this.options.instruments.validationFailed(job.entrypoint, verdict.failure.what, 'worker');
    } else if (verdict.failure instanceof UnknownSchemaVersionError) {
      this.options.instruments.unknownVersion(job.entrypoint);
    }
    span.end(verdict.outcome, verdict.failure);
    this.options.ended(job, verdict, durationMs);
  }

  private remove(running: Running): void {
    clearTimeout(running.timer);
    this.running.delete(running.job.id);
    if (this.running.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
