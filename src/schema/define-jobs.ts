import type { ZodObject, ZodType } from 'zod';
import { InvalidCronError, SchemaDefinitionError } from '../errors.js';
import { ENTRYPOINT_OPTION_KEYS, pickEntrypointOptions, resolveEntrypoint } from '../options.js';
import { parseCron } from '../scheduler/cron-spec.js';
import type { EntrypointOptions } from '../entrypoint-options.js';
import { payloadFingerprint } from './json-schema.js';
import type { CurrentPayloads, PayloadVersion, PreviousPayloads } from './versions.js';

/** One job as declared in the schema file: its shapes, and the options of its entrypoint. */
export interface JobDefinition extends EntrypointOptions {
  /** A zod object: what producers send. Required unless the job has a `schedule`. */
  payload?: ZodObject;
  /**
   * Earlier shapes of `payload`, oldest first, each with an `upcast` to the shape after it
   * (the last one's to the current `payload`): jobs enqueued before a change still run, and
   * their handler sees the current shape. Drop an entry once no job of it is left.
   */
  previous?: readonly PayloadVersion[];
  /** What the handler returns; checked in the worker and typed on `job.result()`. */
  result?: ZodType;
  /** A cron expression (5 fields, or 6 with seconds first): a scheduled job, with no payload. */
  schedule?: string;
  /** IANA timezone of `schedule`. Default UTC. */
  timezone?: string;
  /** Default priority of enqueued jobs (higher runs first). */
  priority?: number;
  /**
   * The jobs this one waits for, by name → the job they are (`{ images: 'resizeImage' }`): its
   * enqueue then takes `{ after: { images: [handle, …] } }` (handles of `resizeImage` jobs only)
   * and its handler gets `ctx.parents.images`, their results in that order.
   */
  after?: Readonly<Record<string, string>>;
  /**
   * The group of each enqueued job, from its payload (`(p) => p.tenantId`): with
   * `groupConcurrency`, at most that many jobs of one group run at once and groups take turns.
   * Typed by `defineJobs` (the payload as producers pass it); it must return a non-empty string.
   */
  group?: (payload: never) => string;
}

export type JobDefinitions = Record<string, JobDefinition>;

const BRAND = Symbol.for('pgqueuer.jobs-schema');

/** The default export of a schema file: what `pgq generate` reads and generated code imports. */
export interface JobsSchema<T extends JobDefinitions = JobDefinitions> {
  readonly jobs: Readonly<T>;
  readonly [BRAND]: true;
}

/** Rejects, at compile time, options a job definition does not have (typos). */
type Exact<T extends JobDefinitions> = {
  [Name in keyof T]: T[Name] & Record<Exclude<keyof T[Name], keyof JobDefinition>, never>;
};

const OPTIONS: readonly string[] = ['payload', 'previous', 'result', 'schedule', 'timezone', 'priority', 'after', 'group', ...ENTRYPOINT_OPTION_KEYS];
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Names that cannot be a property of the generated `Handlers` interface or a module export. */
const RESERVED = new Set(['constructor', 'prototype', '__proto__', 'default']);

/**
 * Declares the application's jobs, once. Checked now, at load time: a bad name, an unknown
 * option, a payload that is not a zod object or an invalid cron spec throws a
 * `SchemaDefinitionError` naming the job.
 */
export function defineJobs<const T extends JobDefinitions, const P, const V>(
  jobs: T & Exact<T> & CurrentPayloads<P> & PreviousPayloads<P, V>,
): JobsSchema<T> {
  if (jobs === null || typeof jobs !== 'object' || Array.isArray(jobs)) {
    throw new SchemaDefinitionError('(schema)', 'defineJobs expects an object mapping job names to definitions');
  }
  for (const [name, definition] of Object.entries(jobs)) checkJob(name, definition);
  for (const [name, definition] of Object.entries(jobs)) checkParents(name, definition, jobs);
  return Object.freeze({ jobs: Object.freeze({ ...jobs }), [BRAND]: true as const });
}

export function isJobsSchema(value: unknown): value is JobsSchema {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** True for a zod (v4) schema object, also from another copy of zod than pgqueuer's. */
function isZodSchema(value: unknown, type?: string): value is ZodType {
  const internals = (value as { _zod?: { def?: { type?: string } } } | null)?._zod;
  return typeof (value as { safeParse?: unknown })?.safeParse === 'function' && !!internals?.def && (!type || internals.def.type === type);
}

/** `after` names jobs of the same schema that producers enqueue (a scheduled job has no handles). */
function checkParents(name: string, def: JobDefinition, jobs: JobDefinitions): void {
  if (def.after === undefined) return;
  const fail = (problem: string): never => {
    throw new SchemaDefinitionError(name, problem);
  };
  if (def.after === null || typeof def.after !== 'object' || Array.isArray(def.after) || Object.keys(def.after).length === 0) {
    fail('"after" must map parent names to jobs of this schema, e.g. { images: \'resizeImage\' }');
  }
  for (const [key, parent] of Object.entries(def.after)) {
    if (!IDENTIFIER.test(key)) fail(`after: "${key}" must be a valid JavaScript identifier`);
    if (typeof parent !== 'string' || !Object.hasOwn(jobs, parent)) {
      fail(`after.${key}: ${JSON.stringify(parent)} is not a job of this schema (jobs: ${Object.keys(jobs).join(', ')})`);
    }
    if (jobs[parent]!.schedule !== undefined) fail(`after.${key}: "${parent}" is a scheduled job; only enqueued jobs can be parents`);
  }
  if (def.schedule !== undefined) fail('a scheduled job cannot wait for parents ("after")');
}

function checkJob(name: string, definition: unknown): void {
  const fail = (problem: string): never => {
    throw new SchemaDefinitionError(name, problem);
  };
  if (!IDENTIFIER.test(name) || RESERVED.has(name)) {
    fail('the name must be a valid JavaScript identifier (letters, digits, _ and $, not starting with a digit)');
  }
  if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) fail('the definition must be an object');
  const def = definition as JobDefinition;
  for (const key of Object.keys(def)) {
    if (!OPTIONS.includes(key)) fail(`unknown option "${key}" (known: ${OPTIONS.join(', ')})`);
  }
  if (def.schedule !== undefined) {
    if (def.payload !== undefined) fail('a scheduled job (with "schedule") takes no payload; remove "payload" or "schedule"');
    for (const key of ['concurrencyLimit', 'serializedDispatch', 'rateLimit', 'group', 'groupConcurrency'] as const) {
      if (def[key] !== undefined) fail(`"${key}" does not apply to a scheduled job: its ticks never overlap`);
    }
    try {
      parseCron(def.schedule, def.timezone);
    } catch (err) {
      fail((err as InvalidCronError).message);
    }
  } else {
    if (def.timezone !== undefined) fail('"timezone" only applies to a job with a "schedule"');
    if (def.payload === undefined) fail('"payload" is required (a zod object, e.g. z.object({ ... })), unless the job has a "schedule"');
    if (!isZodSchema(def.payload, 'object')) fail('"payload" must be a zod object schema, e.g. z.object({ ... })');
  }
  if (def.previous !== undefined) checkPrevious(def, fail);
  if (def.result !== undefined && !isZodSchema(def.result)) fail('"result" must be a zod schema');
  if (def.priority !== undefined && !Number.isInteger(def.priority)) fail('"priority" must be an integer');
  if (def.group !== undefined && typeof def.group !== 'function') fail('"group" must be a function from the payload to its group, e.g. (p) => p.tenantId');
  if (def.groupConcurrency !== undefined && def.group === undefined && def.schedule === undefined) {
    fail('"groupConcurrency" limits jobs per group: add "group", a function from the payload to its group');
  }
  // The worker options are checked by the same code that checks pgq.entrypoint() options.
  try {
    resolveEntrypoint(name, pickEntrypointOptions(def), () => {});
  } catch (err) {
    fail((err as Error).message.replace(`entrypoint "${name}": `, ''));
  }
}

function checkPrevious(def: JobDefinition, fail: (problem: string) => never): void {
  if (def.schedule !== undefined) fail('a scheduled job has no payload, so no "previous" payload versions');
  if (!Array.isArray(def.previous)) fail('"previous" must be an array of { payload, upcast }, oldest first');
  // A version is known by its fingerprint: two equal shapes could not be told apart in the queue.
  const seen = new Map<string, string>([[payloadFingerprint(def.payload), 'the current "payload"']]);
  for (const [i, version] of def.previous!.entries()) {
    const at = `previous[${i}]`;
    if (version === null || typeof version !== 'object') fail(`${at} must be { payload, upcast }`);
    for (const key of Object.keys(version)) {
      if (key !== 'payload' && key !== 'upcast') fail(`${at}: unknown key "${key}" (known: payload, upcast)`);
    }
    if (!isZodSchema(version.payload, 'object')) fail(`${at}.payload must be a zod object schema, e.g. z.object({ ... })`);
    if (typeof version.upcast !== 'function') fail(`${at}.upcast must be a function from that version's payload to the next one's`);
    const id = payloadFingerprint(version.payload);
    const same = seen.get(id);
    if (same) fail(`${at}.payload has the same shape as ${same}: remove one of them`);
    seen.set(id, at);
  }
}
