import { shown } from './shown-value.js';
import type { CronSpec } from './scheduler/cron-spec.js';
import { parseCron } from './scheduler/cron-spec.js';
import { ConfigError } from './errors.js';
import { defaultLogger } from './logger.js';
import { hasLoneSurrogate } from './lone-surrogates.js';
import type {
  EntrypointOptions,
  JobHandler,
  Logger,
  MetricsOptions,
  MissedTickPolicy,
  PgQueuerOptions,
  RetentionOptions,
  ScheduleOptions,
  WorkerOptions,
} from './types.js';

/**
 * Option resolution: every option a user passes is checked here, once, before anything
 * connects, and filled with its default. A bad option throws a `ConfigError` naming it.
 */

/** The options of `pgq.entrypoint()`, written once: the schema file and the bound client use this list too. */
export const ENTRYPOINT_OPTION_KEYS = [
  'concurrencyLimit',
  'serializedDispatch',
  'rateLimit',
  'retry',
  'rescueAfterMs',
  'timeoutMs',
  'onFailure',
  'maxSnoozes',
  'onParentFailure',
  'groupConcurrency',
] as const satisfies ReadonlyArray<keyof EntrypointOptions>;
// Fails to compile when EntrypointOptions gains a key the list does not have.
type UnlistedEntrypointKey = Exclude<keyof EntrypointOptions, (typeof ENTRYPOINT_OPTION_KEYS)[number]>;
const entrypointKeysComplete: [UnlistedEntrypointKey] extends [never] ? true : UnlistedEntrypointKey = true;

const SCHEDULE_OPTION_KEYS = [
  'timezone',
  'missed',
  'allowOverlap',
  'retry',
  'rescueAfterMs',
  'priority',
  'timeoutMs',
  'onFailure',
  'maxSnoozes',
] as const satisfies ReadonlyArray<keyof ScheduleOptions>;

const WORKER_DEFAULTS: WorkerOptions = {
  concurrency: 32,
  pollIntervalMs: 1_000,
  heartbeatIntervalMs: 5_000,
  shutdownTimeoutMs: 30_000,
  maxResultBytes: 1024 * 1024,
  startupRetryMs: 30_000,
};
const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
const RETENTION_DEFAULTS: Required<RetentionOptions> = { maxAgeMs: 7 * 24 * 3_600_000, maxRows: null, intervalMs: 60_000 };
const DEFAULT_RESCUE_AFTER_MS = 30_000;
const DEFAULT_MAX_SNOOZES = 100;

export interface ResolvedRetry {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}
const DEFAULT_RETRY: ResolvedRetry = { maxAttempts: 1, initialDelayMs: 1_000, maxDelayMs: 60_000 };

/** An instance's options, checked and defaulted. */
export interface Settings {
  logger: Logger;
  worker: WorkerOptions;
  retention: Required<RetentionOptions>;
  maxPayloadBytes: number;
  metrics: MetricsOptions | false;
}

/** An entrypoint's options checked and filled with defaults. */
export interface ResolvedEntrypoint {
  name: string;
  handler: JobHandler;
  /** 0: unlimited. serializedDispatch is a limit of 1. */
  concurrencyLimit: number;
  /** 0: unlimited. */
  ratePerSecond: number;
  burst: number;
  retry: ResolvedRetry;
  rescueAfterMs: number;
  /** 0: no limit. */
  timeoutMs: number;
  onFailure: 'log' | 'hold';
  maxSnoozes: number;
  onParentFailure: 'cancel' | 'run';
  /** 0: groups are not limited. */
  groupConcurrency: number;
}

/** A schedule's options, checked; its entrypoint options are resolved separately. */
export interface ResolvedSchedule {
  name: string;
  spec: CronSpec;
  missed: MissedTickPolicy;
  priority: number;
  entrypoint: EntrypointOptions;
}

/** The options of `PgQueuer.connect` / `fromPool` / `inMemory`. */
const PGQUEUER_OPTION_KEYS = [
  'schema',
  'logger',
  'maxPayloadBytes',
  'preparedStatements',
  'listenConnection',
  'install',
  'retention',
  'metrics',
  'concurrency',
  'pollIntervalMs',
  'heartbeatIntervalMs',
  'shutdownTimeoutMs',
  'maxResultBytes',
  'startupRetryMs',
] as const satisfies ReadonlyArray<keyof PgQueuerOptions>;
type UnlistedOptionKey = Exclude<keyof PgQueuerOptions, (typeof PGQUEUER_OPTION_KEYS)[number]>;
const optionKeysComplete: [UnlistedOptionKey] extends [never] ? true : UnlistedOptionKey = true;

export function resolveSettings(options: PgQueuerOptions): Settings {
  plainObject(options, 'options', 'an object');
  rejectUnknownKeys(options, PGQUEUER_OPTION_KEYS, 'options');
  for (const key of ['preparedStatements', 'install'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') throw new ConfigError(`${key} must be true or false, got ${shown(options[key])}`);
  }
  const listen = options.listenConnection;
  if (listen !== undefined && typeof listen !== 'string' && (listen === null || typeof listen !== 'object' || Array.isArray(listen))) {
    throw new ConfigError(`listenConnection must be a connection URL or a pg client configuration, got ${shown(listen)}`);
  }
  if (options.schema !== undefined && typeof options.schema !== 'string') throw new ConfigError(`schema must be a string, got ${shown(options.schema)}`);
  const logger = options.logger;
  if (logger !== undefined && (logger === null || typeof logger !== 'object' || ['debug', 'info', 'warn', 'error'].some((m) => typeof (logger as unknown as Record<string, unknown>)[m] !== 'function'))) {
    throw new ConfigError('logger must have debug, info, warn and error methods (pino, or consoleLogger())');
  }
  return {
    logger: options.logger ?? defaultLogger(),
    worker: resolveWorkerOptions(options),
    retention: resolveRetention(options.retention === undefined ? {} : options.retention),
    maxPayloadBytes: options.maxPayloadBytes === undefined ? DEFAULT_MAX_PAYLOAD_BYTES : positiveInteger(options.maxPayloadBytes, 'maxPayloadBytes'),
    metrics: resolveMetrics(options.metrics),
  };
}

function resolveWorkerOptions(options: PgQueuerOptions): WorkerOptions {
  const resolved = { ...WORKER_DEFAULTS };
  for (const key of Object.keys(WORKER_DEFAULTS) as Array<keyof WorkerOptions>) {
    const value = options[key];
    if (value === undefined) continue;
    resolved[key] = key === 'concurrency' || key === 'maxResultBytes' ? positiveInteger(value, key) : timerMs(value, key);
  }
  return resolved;
}

function resolveRetention(options: RetentionOptions): Required<RetentionOptions> {
  plainObject(options, 'retention', '{ maxAgeMs?, maxRows?, intervalMs? }');
  const resolved = { ...RETENTION_DEFAULTS };
  for (const key of Object.keys(options)) {
    if (!(key in RETENTION_DEFAULTS)) throw new ConfigError(`retention: unknown option "${key}" (known: ${Object.keys(RETENTION_DEFAULTS).join(', ')})`);
  }
  if (options.maxAgeMs !== undefined) resolved.maxAgeMs = options.maxAgeMs === null ? null : positiveNumber(options.maxAgeMs, 'retention.maxAgeMs');
  if (options.maxRows !== undefined) resolved.maxRows = options.maxRows === null ? null : positiveInteger(options.maxRows, 'retention.maxRows');
  if (options.intervalMs !== undefined) resolved.intervalMs = timerMs(options.intervalMs, 'retention.intervalMs');
  return resolved;
}

function resolveMetrics(metrics: PgQueuerOptions['metrics']): MetricsOptions | false {
  if (metrics === false) return false;
  if (metrics === undefined || metrics === true) return {};
  if (typeof metrics !== 'object' || metrics === null) throw new ConfigError('metrics must be false or { registry }');
  for (const key of Object.keys(metrics)) {
    if (key !== 'registry') throw new ConfigError(`metrics: unknown option "${key}" (known: registry)`);
  }
  if (metrics.registry !== undefined && typeof (metrics.registry as { metrics?: unknown }).metrics !== 'function') {
    throw new ConfigError('metrics.registry must be a prom-client Registry');
  }
  return metrics;
}

export function validateEntrypointName(name: unknown): asserts name is string {
  // Characters, not UTF-16 units: an emoji is one character of the 200 (never more characters than units).
  if (typeof name !== 'string' || name.length === 0 || (name.length > 200 && [...name].length > 200)) {
    throw new ConfigError(`entrypoint name must be a string of 1 to 200 characters, got ${shown(name)}`);
  }
  if (name.includes('\u0000') || hasLoneSurrogate(name)) {
    throw new ConfigError(`entrypoint name ${shown(name)} contains a NUL character or a broken UTF-16 surrogate, which PostgreSQL cannot store`);
  }
}

export function resolveEntrypoint(name: string, options: EntrypointOptions, handler: JobHandler): ResolvedEntrypoint {
  validateEntrypointName(name);
  const where = `entrypoint "${name}"`;
  if (typeof handler !== 'function') throw new ConfigError(`${where}: handler must be a function`);
  rejectUnknownKeys(options, ENTRYPOINT_OPTION_KEYS, where);
  let concurrencyLimit = 0;
  if (options.concurrencyLimit !== undefined) {
    concurrencyLimit = positiveInteger(options.concurrencyLimit, `${where}: concurrencyLimit`);
  }
  if (options.serializedDispatch !== undefined && typeof options.serializedDispatch !== 'boolean') {
    throw new ConfigError(`${where}: serializedDispatch must be true or false`);
  }
  if (options.serializedDispatch) concurrencyLimit = 1;

  let ratePerSecond = 0;
  let burst = 0;
  if (options.rateLimit !== undefined) {
    plainObject(options.rateLimit, `${where}: rateLimit`, '{ perSecond, burst? }');
    rejectUnknownKeys(options.rateLimit, ['perSecond', 'burst'], `${where}: rateLimit`);
    ratePerSecond = positiveNumber(options.rateLimit.perSecond, `${where}: rateLimit.perSecond`);
    burst = options.rateLimit.burst === undefined
      ? Math.max(1, ratePerSecond)
      : positiveNumber(options.rateLimit.burst, `${where}: rateLimit.burst`);
    if (burst < 1) throw new ConfigError(`${where}: rateLimit.burst must be at least 1, got ${burst}`);
  }

  const retry = { ...DEFAULT_RETRY };
  if (options.retry !== undefined) {
    plainObject(options.retry, `${where}: retry`, '{ maxAttempts, initialDelayMs?, maxDelayMs? }');
    rejectUnknownKeys(options.retry, ['maxAttempts', 'initialDelayMs', 'maxDelayMs'], `${where}: retry`);
    retry.maxAttempts = positiveInteger(options.retry.maxAttempts, `${where}: retry.maxAttempts`);
    if (options.retry.initialDelayMs !== undefined) {
      retry.initialDelayMs = nonNegative(options.retry.initialDelayMs, `${where}: retry.initialDelayMs`);
    }
    if (options.retry.maxDelayMs !== undefined) {
      retry.maxDelayMs = nonNegative(options.retry.maxDelayMs, `${where}: retry.maxDelayMs`);
    }
    if (retry.maxDelayMs < retry.initialDelayMs) {
      throw new ConfigError(`${where}: retry.maxDelayMs (${retry.maxDelayMs}) is below retry.initialDelayMs (${retry.initialDelayMs})`);
    }
  }
  const rescueAfterMs = options.rescueAfterMs === undefined
    ? DEFAULT_RESCUE_AFTER_MS
    : timerMs(options.rescueAfterMs, `${where}: rescueAfterMs`);
  const timeoutMs = options.timeoutMs === undefined ? 0 : timerMs(options.timeoutMs, `${where}: timeoutMs`);
  const onFailure = options.onFailure ?? 'log';
  if (onFailure !== 'log' && onFailure !== 'hold') {
    throw new ConfigError(`${where}: onFailure must be "log" or "hold", got ${shown(onFailure)}`);
  }
  const maxSnoozes = options.maxSnoozes === undefined ? DEFAULT_MAX_SNOOZES : positiveInteger(options.maxSnoozes, `${where}: maxSnoozes`);
  const onParentFailure = parentFailurePolicy(options.onParentFailure, `${where}: onParentFailure`) ?? 'cancel';
  const groupConcurrency = options.groupConcurrency === undefined ? 0 : positiveInteger(options.groupConcurrency, `${where}: groupConcurrency`);
  return { name, handler, concurrencyLimit, ratePerSecond, burst, retry, rescueAfterMs, timeoutMs, onFailure, maxSnoozes, onParentFailure, groupConcurrency };
}

/** `onParentFailure`, checked; undefined when unset. */
export function parentFailurePolicy(value: unknown, option: string): 'cancel' | 'run' | undefined {
  if (value === undefined || value === 'cancel' || value === 'run') return value;
  throw new ConfigError(`${option} must be "cancel" or "run", got ${shown(value)}`);
}

/** What only a worker's whole configuration can tell: something to run, and rescue windows its heartbeat can keep. */
export function assertRunnable(entrypoints: ReadonlyMap<string, ResolvedEntrypoint>, options: WorkerOptions): void {
  if (entrypoints.size === 0) {
    throw new ConfigError('no entrypoints registered: call pgq.entrypoint(name, options, handler) before pgq.run()');
  }
  for (const entry of entrypoints.values()) {
    if (entry.rescueAfterMs <= 2 * options.heartbeatIntervalMs) {
      throw new ConfigError(
        `entrypoint "${entry.name}": rescueAfterMs (${entry.rescueAfterMs}) must exceed twice heartbeatIntervalMs (${options.heartbeatIntervalMs}), or live jobs would be rescued`,
      );
    }
  }
}

/**
 * A schedule's options. Its ticks run as jobs of an entrypoint of the same name, with a
 * concurrency limit of 1 unless `allowOverlap`, so ticks never overlap.
 */
export function resolveSchedule(name: string, expression: string, options: ScheduleOptions): ResolvedSchedule {
  const where = `schedule "${name}"`;
  rejectUnknownKeys(options, SCHEDULE_OPTION_KEYS, where);
  const missed = options.missed ?? 'once';
  if (missed !== 'once' && missed !== 'skip') throw new ConfigError(`${where}: missed must be "once" or "skip", got ${shown(missed)}`);
  const priority = options.priority ?? 0;
  if (!Number.isInteger(priority)) throw new ConfigError(`${where}: priority must be an integer`);
  const spec = parseCron(expression, options.timezone);
  const { retry, rescueAfterMs, timeoutMs, onFailure, maxSnoozes } = options;
  const entrypoint: EntrypointOptions = {
    ...pickEntrypointOptions({ retry, rescueAfterMs, timeoutMs, onFailure, maxSnoozes }),
    ...(options.allowOverlap ? {} : { concurrencyLimit: 1 }),
  };
  return { name, spec, missed, priority, entrypoint };
}

/** Only the entrypoint options of `source` (a job definition, say), without the keys it left unset. */
export function pickEntrypointOptions(source: Partial<Record<(typeof ENTRYPOINT_OPTION_KEYS)[number], unknown>>): EntrypointOptions {
  const picked: Record<string, unknown> = {};
  for (const key of ENTRYPOINT_OPTION_KEYS) if (source[key] !== undefined) picked[key] = source[key];
  return picked as EntrypointOptions;
}

function plainObject(value: unknown, option: string, shape: string): asserts value is object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${option} must be ${shape}, got ${shown(value)}`);
}

export function rejectUnknownKeys(options: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new ConfigError(`${where}: unknown option "${key}" (known: ${known.join(', ')})`);
  }
}

function positiveInteger(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(`${option} must be a positive integer, got ${shown(value)}`);
  }
  return value;
}

/** setTimeout's limit: a longer delay fires after 1 ms instead (Node warns, then wraps). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A duration that drives a timer: 1 ms to MAX_TIMER_MS (about 24.8 days). */
export function timerMs(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > MAX_TIMER_MS) {
    throw new ConfigError(`${option} must be milliseconds from 1 to ${MAX_TIMER_MS} (about 24.8 days), got ${shown(value)}`);
  }
  return value;
}

function positiveNumber(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${option} must be a positive number, got ${shown(value)}`);
  }
  return value;
}

function nonNegative(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(`${option} must be a number of milliseconds ≥ 0, got ${shown(value)}`);
  }
  return value;
}
