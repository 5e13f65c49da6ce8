/**
 * pgqueuer/testing: what a user's tests need. Works with PgQueuer.inMemory() and with a
 * PostgreSQL-backed instance alike.
 */
import type { z, ZodType } from 'zod';
import { StateError, UnknownJobError } from '../errors.js';
import { internalsOf } from '../internals.js';
import { silentLogger } from '../logger.js';
import type { PgQueuer } from '../pgqueuer.js';
import { checkResult, encodePayload, parseStoredPayload } from '../schema/bind.js';
import type { Job, JobContext, JobHeaders, LiveJob, Logger, ParentResult, TypedEnqueue } from '../types.js';
import type { JobDefinitions, JobsSchema } from '../schema/define-jobs.js';

export { TestClock } from './test-clock.js';

/** Workers started by drain(), with how their run() ended (if it has). */
const started = new WeakMap<PgQueuer, { settled: boolean; error?: unknown }>();

/**
 * Runs `pgq`'s handlers (starting its worker if it is not running) until nothing is runnable:
 * no job of its entrypoints queued, running or due, no schedule tick due, every outcome
 * recorded. Jobs deferred to later (by the clock in use) stay queued. The worker keeps running;
 * `pgq.stop()` ends it.
 */
export async function drain(pgq: PgQueuer, options: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!pgq.isRunning && !started.has(pgq)) {
    const state: { settled: boolean; error?: unknown } = { settled: false };
    started.set(pgq, state);
    pgq.run({ handleSignals: false }).then(
      () => (state.settled = true),
      (err: unknown) => Object.assign(state, { settled: true, error: err }),
    );
  }
  // A run() that fails at once (no entrypoints, say) has failed by the next turn of the loop.
  await new Promise((resolve) => setImmediate(resolve));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = started.get(pgq);
    if (state?.error !== undefined) throw state.error;
    if (!pgq.isRunning) throw new StateError('drain: the worker is not running (stopped, or run() failed)');
    if (await internalsOf(pgq).isDrained()) return;
    if (Date.now() > deadline) throw new StateError(`drain: the queue was still busy after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A live job as `enqueuedJobs` returns it, its payload typed by the enqueue function passed. */
export interface EnqueuedJob<Payload> extends Omit<LiveJob, 'payload'> {
  payload: Payload;
}

/**
 * The live jobs (scheduled, queued or running) of one job, oldest first. Pass the generated
 * client's enqueue function (`enqueue.sendEmail`) to get typed payloads, or an entrypoint name.
 */
export async function enqueuedJobs<Payload>(
  pgq: PgQueuer,
  job: TypedEnqueue<Payload, unknown> | string,
  options: { limit?: number } = {},
): Promise<EnqueuedJob<Payload>[]> {
  const name = typeof job === 'string' ? job : job.entrypoint;
  return (await pgq.listJobs(name, options)) as EnqueuedJob<Payload>[];
}

type Definition<T extends JobDefinitions, N extends keyof T> = T[N];
type PayloadInput<D> = D extends { payload: infer P extends ZodType } ? z.input<P> : never;
type PayloadOutput<D> = D extends { payload: infer P extends ZodType } ? z.output<P> : never;
type ResultOutput<D> = D extends { result: infer R extends ZodType } ? z.output<R> : unknown;

export interface RunJobOptions {
  /** Default 1. */
  attempt?: number;
  headers?: JobHeaders;
  priority?: number;
  /** Aborts the handler's ctx.signal (e.g. an AbortController's, to test cancellation). */
  signal?: AbortSignal;
  logger?: Logger;
  /** What the handler sees as ctx.parents (a job enqueued with `after`). */
  parents?: readonly ParentResult[];
}

/**
 * Runs one handler once, with no queue: the payload goes through the same JSON and schema
 * round trip as in production (what the producer checks, what the worker parses), and the
 * result through the same checks as a stored result. Throws what production would: a
 * ValidationError for a bad payload or result, or the handler's own error.
 */
export async function runJob<T extends JobDefinitions, N extends keyof T & string>(
  schema: JobsSchema<T>,
  name: N,
  handler: (job: Job<PayloadOutput<Definition<T, N>>>, ctx: JobContext) => unknown,
  payload: PayloadInput<Definition<T, N>>,
  options: RunJobOptions = {},
): Promise<ResultOutput<Definition<T, N>>> {
  const def = schema.jobs[name];
  if (!def) throw new UnknownJobError(name, Object.keys(schema.jobs));
  if (def.schedule !== undefined) throw new StateError(`runJob: "${name}" is a scheduled job; call its handler with a tick ({ name, scheduledAt })`);
  const stored = JSON.parse(encodePayload(name, def, payload));
  const job: Job<PayloadOutput<Definition<T, N>>> = {
    id: 0,
    entrypoint: name,
    payload: parseStoredPayload(name, def, stored) as PayloadOutput<Definition<T, N>>,
    attempt: options.attempt ?? 1,
    priority: options.priority ?? def.priority ?? 0,
    headers: options.headers ?? {},
    createdAt: new Date(),
  };
  const signal = options.signal ?? new AbortController().signal;
  const result = await handler(job, { signal, logger: options.logger ?? silentLogger, parents: options.parents ?? [] });
  return checkResult(name, def, result) as ResultOutput<Definition<T, N>>;
}

