import { ConfigError, JobCanceledError, JobFailedError, SchemaDefinitionError, UnknownJobError } from '../errors.js';
import { internalsOf } from '../internals.js';
import { toJsonText } from '../json-text.js';
import { pickEntrypointOptions } from '../options.js';
import { shown } from '../shown-value.js';
import type { PgQueuer } from '../pgqueuer.js';
import type {
  EnqueueItem,
  EnqueueOptions,
  Job,
  JobContext,
  JobHandle,
  JobSummary,
  ScheduleHandler,
  TransactionClient,
  TypedEnqueue,
  TypedJobs,
  WaitOptions,
} from '../types.js';
import { isJobsSchema, type JobDefinition, type JobsSchema } from './define-jobs.js';
import { fingerprint, FINGERPRINT_HEADER } from './json-schema.js';
import { namedParentsContext, typedAfter } from './typed-parents.js';
import { readStoredPayload } from './read-payload.js';
import { previousVersions } from './versions.js';
import { parseWith } from './validate.js';

type AnyHandler = (input: never, ctx: JobContext) => unknown;

/**
 * The runtime behind a generated `createClient(pgq)`. Every payload is checked against the
 * schema file's own zod object after the same JSON round trip the queue applies, so what is
 * accepted here is exactly what the worker will parse. Also installs the check for plain
 * `pgq.enqueue` calls to these entrypoints.
 */
export function bindClient(
  pgq: PgQueuer,
  schema: JobsSchema,
): { enqueue: Record<string, TypedEnqueue<unknown, unknown>>; jobs: Record<string, TypedJobs<unknown, unknown>> } {
  assertSchema(schema);
  const enqueue: Record<string, TypedEnqueue<unknown, unknown>> = {};
  const jobs: Record<string, TypedJobs<unknown, unknown>> = {};
  for (const [name, def] of Object.entries(schema.jobs)) {
    jobs[name] = typedJobs(pgq, name, def);
    if (def.schedule !== undefined) continue;
    internalsOf(pgq).setPayloadCheck(name, payloadCheck(name, def));
    const stamp = (payload: unknown, { after, ...options }: Omit<EnqueueOptions, 'client' | 'after'> & { after?: unknown }) => {
      const parents = def.after ? typedAfter(name, def, after) : undefined;
      return {
        ...options,
        ...(parents ? { after: parents.after } : {}),
        group: options.group ?? groupOf(name, def, payload),
        priority: options.priority ?? def.priority,
        onParentFailure: options.onParentFailure ?? def.onParentFailure,
        headers: { ...options.headers, ...parents?.headers, [FINGERPRINT_HEADER]: fingerprint(def) },
      };
    };
    const send = async (payload: unknown, options: EnqueueOptions = {}) => {
      const id = await pgq.enqueue(name, payload, { ...stamp(payload, options), client: options.client });
      return handle(pgq, name, def, id);
    };
    send.entrypoint = name;
    send.many = async (items: readonly EnqueueItem<unknown>[], options: { client?: TransactionClient } = {}) => {
      const ids = await pgq.enqueueMany(
        items.map(({ payload, ...rest }) => ({ entrypoint: name, payload, ...stamp(payload, rest) })),
        options,
      );
      return ids.map((id) => handle(pgq, name, def, id));
    };
    enqueue[name] = send;
  }
  return { enqueue: strictRecord(enqueue, schema, 'enqueue'), jobs: strictRecord(jobs, schema, 'jobs', true) };
}

/** The schema's `group` of one payload; the encoder checks what it returned. */
function groupOf(name: string, def: JobDefinition, payload: unknown): string | undefined {
  if (def.group === undefined) return undefined;
  let group: unknown;
  try {
    group = (def.group as (p: unknown) => unknown)(payload);
  } catch (err) {
    encodePayload(name, def, payload); // a payload that does not fit is the error to report
    throw new ConfigError(`enqueue.${name}: the schema's "group" threw on this payload: ${(err as Error)?.message ?? String(err)}`);
  }
  if (typeof group !== 'string' || group.length === 0) {
    encodePayload(name, def, payload);
    throw new ConfigError(`enqueue.${name}: the schema's "group" must return a non-empty string, got ${shown(group)}`);
  }
  return group;
}

/** `jobs.<job>`: that job's jobs, their results parsed with its result schema. */
function typedJobs(pgq: PgQueuer, name: string, def: JobDefinition): TypedJobs<unknown, unknown> {
  const typed = <J extends JobSummary>(job: J): J =>
    def.result && job.result !== undefined ? { ...job, result: parseWith(def.result, job.result, { entrypoint: name, what: 'result', jobId: job.id }) } : job;
  return {
    async get(id) {
      const job = await pgq.getJob(id);
      return job?.entrypoint === name ? typed(job) : null;
    },
    async list(options = {}) {
      const page = await pgq.listJobs({ ...options, entrypoint: name });
      return { ...page, jobs: page.jobs.map(typed) };
    },
  };
}

/**
 * The runtime behind a generated `registerHandlers(pgq, handlers)`: one entrypoint (or
 * schedule) per job, with the schema's options. Before a handler runs, the stored payload is
 * parsed with the schema (defaults and transforms applied); a row that does not fit fails
 * permanently, naming the job and the issues. A handler's return value is checked against
 * `result`.
 */
export function bindHandlers(pgq: PgQueuer, schema: JobsSchema, handlers: Record<string, AnyHandler>): void {
  assertSchema(schema);
  if (handlers === null || typeof handlers !== 'object') throw new ConfigError('registerHandlers expects an object of handlers, one per job');
  const names = Object.keys(schema.jobs);
  for (const key of Object.keys(handlers)) {
    if (!(key in schema.jobs)) throw new ConfigError(`registerHandlers: "${key}" is not a job in the schema (jobs: ${names.join(', ')})`);
  }
  for (const [name, def] of Object.entries(schema.jobs)) {
    const handler = handlers[name];
    if (typeof handler !== 'function') throw new ConfigError(`registerHandlers: no handler for job "${name}"`);
    if (def.schedule !== undefined) {
      pgq.schedule(name, def.schedule, handler as ScheduleHandler, {
        ...(def.timezone ? { timezone: def.timezone } : {}),
        ...(def.retry ? { retry: def.retry } : {}),
        ...(def.rescueAfterMs ? { rescueAfterMs: def.rescueAfterMs } : {}),
        ...(def.priority !== undefined ? { priority: def.priority } : {}),
        ...(def.timeoutMs !== undefined ? { timeoutMs: def.timeoutMs } : {}),
        ...(def.onFailure !== undefined ? { onFailure: def.onFailure } : {}),
        ...(def.maxSnoozes !== undefined ? { maxSnoozes: def.maxSnoozes } : {}),
      });
      continue;
    }
    internalsOf(pgq).setPayloadCheck(name, payloadCheck(name, def));
    pgq.entrypoint(name, pickEntrypointOptions(def), checkedHandler(pgq, name, def, handler as (job: Job, ctx: JobContext) => unknown));
  }
}

function checkedHandler(pgq: PgQueuer, name: string, def: JobDefinition, handler: (job: Job, ctx: JobContext) => unknown) {
  const expected = fingerprint(def);
  const reported = new Set<unknown>();
  const internals = internalsOf(pgq);
  return async (job: Job, ctx: JobContext): Promise<unknown> => {
    const stamped = job.headers[FINGERPRINT_HEADER];
    // Versions in `previous` are expected; any other stamp is a mismatch, whether or not the
    // payload happens to fit (one that does not is given back: see readStoredPayload).
    if (stamped !== undefined && stamped !== expected && !previousVersions(def).some((v) => v.fingerprint === stamped)) {
      internals.noteFingerprintMismatch(name);
      if (!reported.has(stamped)) {
        reported.add(stamped); // counted every time, logged once per producer version
        ctx.logger.warn(
          { entrypoint: name, jobId: job.id, producerFingerprint: stamped, workerFingerprint: expected },
          `pgqueuer: job "${name}" was enqueued with a different schema version than this worker knows (a deploy in progress? otherwise run \`pgq generate\` and redeploy both sides)`,
        );
      }
    }
    const read = readStoredPayload(name, def, job.payload, stamped, job.id);
    const result = await handler({ ...job, payload: read.payload }, def.after ? namedParentsContext(job, ctx) : ctx);
    checkResult(name, def, result, job.id);
    return result;
  };
}

/**
 * The producer's check: the payload as JSON text (what is stored), valid against the schema
 * after the JSON round trip, so the worker will accept exactly what was accepted here.
 */
export function encodePayload(name: string, def: JobDefinition, payload: unknown, path = 'payload', maxBytes = Number.MAX_SAFE_INTEGER): string {
  const text = toJsonText(payload, path, maxBytes);
  const at = path.lastIndexOf('.payload');
  parseWith(def.payload!, JSON.parse(text), { entrypoint: name, what: 'payload', pathPrefix: at > 0 ? path.slice(0, at) : '' });
  return text;
}

/**
 * The worker's check: the stored payload parsed with the schema of its version (the current
 * one without a stamp), upcast to the current shape (defaults and transforms applied).
 */
export function parseStoredPayload(name: string, def: JobDefinition, stored: unknown, jobId?: number, stamped?: unknown): unknown {
  return readStoredPayload(name, def, stored, stamped, jobId).payload;
}

/** A handler's return value, checked as it will be read back: after the JSON round trip of storage. */
export function checkResult(name: string, def: JobDefinition, result: unknown, jobId?: number): unknown {
  if (!def.result) return result;
  const text = toJsonText(result, 'result', Number.MAX_SAFE_INTEGER);
  return parseWith(def.result, JSON.parse(text), { entrypoint: name, what: 'result', ...(jobId === undefined ? {} : { jobId }) });
}

function payloadCheck(name: string, def: JobDefinition) {
  return (payload: unknown, path: string, maxBytes: number): string => encodePayload(name, def, payload, path, maxBytes);
}

function handle(pgq: PgQueuer, name: string, def: JobDefinition, id: number): JobHandle<unknown> {
  return {
    id,
    entrypoint: name,
    async result(options?: WaitOptions) {
      const done = await pgq.waitFor(id, options);
      if (done.status === 'canceled') throw new JobCanceledError(id);
      if (done.status === 'exception' || done.status === 'held') {
        throw new JobFailedError(id, done.error ?? { name: 'Error', message: 'unknown failure' }, done.status === 'held');
      }
      return def.result ? parseWith(def.result, done.result, { entrypoint: name, what: 'result', jobId: id }) : done.result;
    },
  };
}

function assertSchema(schema: unknown): asserts schema is JobsSchema {
  if (!isJobsSchema(schema)) {
    throw new SchemaDefinitionError('(schema)', 'expected the default export of a schema file: export default defineJobs({ ... })');
  }
}

/** Turns a typo'd job name (from JavaScript, where types don't catch it) into a clear error. */
function strictRecord<T extends object>(target: T, schema: JobsSchema, label: string, everyJob = false): T {
  return new Proxy(target, {
    get(obj, key, receiver) {
      if (typeof key === 'symbol' || key in obj || key === 'then' || key === 'toJSON') return Reflect.get(obj, key, receiver);
      if (key in schema.jobs && !everyJob) throw new ConfigError(`${label}.${key}: "${key}" is a scheduled job; it runs on its schedule and cannot be enqueued`);
      throw new UnknownJobError(key, Object.keys(target));
    },
  });
}
