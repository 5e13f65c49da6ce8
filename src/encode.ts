import { shown } from './shown-value.js';
import { ConfigError } from './errors.js';
import { toJsonText } from './json-text.js';
import { hasLoneSurrogate } from './lone-surrogates.js';
import { parentFailurePolicy, rejectUnknownKeys, validateEntrypointName } from './options.js';
import { GROUP_HEADER, type EnqueueRow, type ParentLink } from './port/rows.js';
import type { EnqueueManyItem } from './types.js';

/**
 * Checks a payload and returns the JSON text to store; throws to refuse it. Installed per
 * entrypoint when a schema file is bound, so plain `pgq.enqueue` cannot bypass the schema.
 */
export type PayloadCheck = (payload: unknown, path: string, maxBytes: number) => string;

export interface EncodeRules {
  maxPayloadBytes: number;
  payloadCheck(entrypoint: string): PayloadCheck | undefined;
  /** The entrypoint's `onParentFailure`, when this instance knows the entrypoint. */
  parentFailure(entrypoint: string): 'cancel' | 'run' | undefined;
}

const INT4_MAX = 2 ** 31 - 1;
/** A dedupe key is part of a btree entry, which PostgreSQL caps at about 2,700 bytes. */
export const MAX_DEDUPE_KEY_BYTES = 1_024;
/** So is a group (the claim's index). */
export const MAX_GROUP_BYTES = 1_024;
/** The earliest instant PostgreSQL's timestamptz holds (4714 BC); a JavaScript Date reaches further back. */
const PG_MIN_TIME_MS = -210_866_803_200_000;
/** The latest instant a JavaScript Date holds; PostgreSQL's range ends later (294276 AD). */
const JS_MAX_TIME_MS = 8_640_000_000_000_000;

const ITEM_KEYS = ['entrypoint', 'payload', 'priority', 'executeAfter', 'dedupeKey', 'onConflict', 'dedupeWindowMs', 'headers', 'after', 'onParentFailure', 'group'] as const satisfies ReadonlyArray<keyof EnqueueManyItem>;

/**
 * Turns what a producer passed into rows to insert, checking everything first: the whole
 * batch is encoded before anything is written, so a bad item writes nothing. `pathOf(i)`
 * names item i's payload in errors ("payload", "jobs[3].payload"). Pure.
 */
export function encodeJobs(items: readonly EnqueueManyItem[], rules: EncodeRules, pathOf: (index: number) => string): EnqueueRow[] {
  return items.map((item, i) => encodeJob(item, i, rules, pathOf(i)));
}

function encodeJob(item: EnqueueManyItem, index: number, rules: EncodeRules, path: string): EnqueueRow {
  const where = path === 'payload' ? 'enqueue' : path.replace(/\.payload$/, '');
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new ConfigError(`${where}: expected { entrypoint, payload, ...options }, got ${shown(item)}`);
  rejectUnknownKeys(item, ITEM_KEYS, where);
  validateEntrypointName(item.entrypoint);
  const priority = item.priority ?? 0;
  if (!Number.isInteger(priority) || Math.abs(priority) > INT4_MAX) {
    throw new ConfigError(`priority must be an integer between ${-INT4_MAX} and ${INT4_MAX}, got ${shown(priority)}`);
  }
  let executeAt: string | null = null;
  let delayMs: number | null = null;
  const after = item.executeAfter;
  if (after instanceof Date) {
    if (Number.isNaN(after.getTime())) throw new ConfigError('executeAfter is an invalid Date');
    if (after.getTime() < PG_MIN_TIME_MS) throw new ConfigError(`executeAfter ${shown(after)} is before PostgreSQL's earliest timestamp (4714 BC)`);
    executeAt = after.toISOString();
  } else if (after !== undefined) {
    if (typeof after !== 'number' || !Number.isFinite(after) || after < 0) {
      throw new ConfigError(`executeAfter must be a Date or milliseconds from now (≥ 0), got ${shown(after)}`);
    }
    // Measured from this process's clock, which is close enough to the database's for a bound.
    if (Date.now() + after > JS_MAX_TIME_MS) throw new ConfigError(`executeAfter of ${after} ms is later than a timestamp can be (year 275760)`);
    delayMs = after;
  }
  const dedupeKey = item.dedupeKey ?? null;
  if (dedupeKey !== null) checkKey(dedupeKey, 'dedupeKey', MAX_DEDUPE_KEY_BYTES);
  const group = item.group ?? null;
  if (group !== null) checkKey(group, `${where}: group`, MAX_GROUP_BYTES);
  const onConflict = item.onConflict ?? 'error';
  if (onConflict !== 'error' && onConflict !== 'skip' && onConflict !== 'replace') {
    throw new ConfigError(`onConflict must be "error", "skip" or "replace", got ${shown(onConflict)}`);
  }
  let dedupeWindowMs: number | null = null;
  if (item.dedupeWindowMs !== undefined) {
    if (typeof item.dedupeWindowMs !== 'number' || !Number.isFinite(item.dedupeWindowMs) || item.dedupeWindowMs <= 0) {
      throw new ConfigError(`dedupeWindowMs must be a positive number of milliseconds, got ${shown(item.dedupeWindowMs)}`);
    }
    dedupeWindowMs = item.dedupeWindowMs;
  }
  if ((item.onConflict !== undefined || dedupeWindowMs !== null) && dedupeKey === null) {
    throw new ConfigError('onConflict and dedupeWindowMs apply to a dedupeKey: pass one');
  }
  let headers: string | null = null;
  if (item.headers !== undefined) {
    if (item.headers === null || typeof item.headers !== 'object' || Array.isArray(item.headers)) {
      throw new ConfigError('headers must be a plain object');
    }
  }
  if (item.headers !== undefined || group !== null) {
    headers = toJsonText(group === null ? item.headers : { ...item.headers, [GROUP_HEADER]: group }, 'headers', rules.maxPayloadBytes);
  }
  const parents = parentLinks(item.after, index, where);
  if (parents !== null && dedupeKey !== null) throw new ConfigError(`${where}: a job with "after" cannot have a dedupeKey`);
  const onParentFailure = parentFailurePolicy(item.onParentFailure, `${where}: onParentFailure`) ?? rules.parentFailure(item.entrypoint) ?? 'cancel';
  const check = rules.payloadCheck(item.entrypoint);
  return {
    entrypoint: item.entrypoint,
    priority,
    payload: check ? check(item.payload, path, rules.maxPayloadBytes) : toJsonText(item.payload ?? null, path, rules.maxPayloadBytes),
    headers,
    executeAt,
    delayMs,
    dedupeKey,
    onConflict,
    dedupeWindowMs,
    after: parents,
    runOnParentFailure: onParentFailure === 'run',
  };
}

/** A dedupe key or a group: a non-empty string PostgreSQL can store and index. */
function checkKey(key: unknown, option: string, maxBytes: number): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw new ConfigError(`${option} must be a non-empty string, got ${shown(key)}`);
  if (key.includes('\u0000') || hasLoneSurrogate(key)) {
    throw new ConfigError(`${option} ${shown(key)} contains a NUL character or a broken UTF-16 surrogate, which PostgreSQL cannot store`);
  }
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > maxBytes) throw new ConfigError(`${option} is ${bytes} bytes, over the limit of ${maxBytes} bytes (hash a long key first)`);
}

/** `after`, checked: job ids or handles, or earlier items of the same call; null for none. */
function parentLinks(after: unknown, index: number, where: string): ParentLink[] | null {
  if (after === undefined) return null;
  if (!Array.isArray(after)) throw new ConfigError(`${where}: after must be an array of job ids, handles or { item } references, got ${shown(after)}`);
  if (after.length === 0) return null;
  return after.map((ref: unknown, i): ParentLink => {
    const what = `${where}: after[${i}]`;
    const id = typeof ref === 'number' ? ref : (ref as { id?: unknown } | null)?.id;
    if (typeof ref === 'object' && ref !== null && 'item' in ref) {
      const item = (ref as { item: unknown }).item;
      if (!Number.isInteger(item) || (item as number) < 0 || (item as number) >= index) {
        throw new ConfigError(`${what}: { item } must name an earlier item of the same call (0 to ${index - 1}), got ${shown(item)}`);
      }
      return { item: item as number };
    }
    if (!Number.isSafeInteger(id) || (id as number) <= 0) throw new ConfigError(`${what}: expected a job id, a job handle or { item: n }, got ${shown(ref)}`);
    return { id: id as number };
  });
}

/** Rows with the producer span's context added to their headers; a job's own headers win on the same key. */
export function withTraceHeaders(rows: readonly EnqueueRow[], traceHeaders: Readonly<Record<string, string>>): readonly EnqueueRow[] {
  if (Object.keys(traceHeaders).length === 0) return rows;
  return rows.map((row) => ({
    ...row,
    headers: JSON.stringify({ ...traceHeaders, ...(row.headers === null ? {} : (JSON.parse(row.headers) as object)) }),
  }));
}
