import { ConfigError } from '../errors.js';
import type { EntrypointOptions, JobHandler } from '../types.js';

export interface ResolvedRetry {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
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
}

export const DEFAULT_RESCUE_AFTER_MS = 30_000;
const DEFAULT_RETRY: ResolvedRetry = { maxAttempts: 1, initialDelayMs: 1_000, maxDelayMs: 60_000 };
const KNOWN_OPTIONS = new Set(['concurrencyLimit', 'serializedDispatch', 'rateLimit', 'retry', 'rescueAfterMs']);

export function validateEntrypointName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new ConfigError(`entrypoint name must be a string of 1 to 200 characters, got ${JSON.stringify(name)}`);
  }
}

export function resolveEntrypoint(name: string, options: EntrypointOptions, handler: JobHandler): ResolvedEntrypoint {
  validateEntrypointName(name);
  const where = `entrypoint "${name}"`;
  if (typeof handler !== 'function') throw new ConfigError(`${where}: handler must be a function`);
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new ConfigError(`${where}: unknown option "${key}" (known: ${[...KNOWN_OPTIONS].join(', ')})`);
    }
  }
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
    ratePerSecond = positiveNumber(options.rateLimit.perSecond, `${where}: rateLimit.perSecond`);
    burst = options.rateLimit.burst === undefined
      ? Math.max(1, ratePerSecond)
      : positiveNumber(options.rateLimit.burst, `${where}: rateLimit.burst`);
    if (burst < 1) throw new ConfigError(`${where}: rateLimit.burst must be at least 1, got ${burst}`);
  }

  const retry = { ...DEFAULT_RETRY };
  if (options.retry !== undefined) {
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
    : positiveNumber(options.rescueAfterMs, `${where}: rescueAfterMs`);
  return { name, handler, concurrencyLimit, ratePerSecond, burst, retry, rescueAfterMs };
}

export function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(`${what} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function positiveNumber(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${what} must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function nonNegative(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(`${what} must be a number of milliseconds ≥ 0, got ${JSON.stringify(value)}`);
  }
  return value;
}
