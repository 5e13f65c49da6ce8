import { PayloadError } from './errors.js';
import { hasLoneSurrogate } from './lone-surrogates.js';

/**
 * Encodes a value as JSON text for a jsonb column, refusing what JSON.stringify would silently
 * change or PostgreSQL would reject, with an error that names where in the value it is:
 * bigints, non-finite numbers, functions, symbols, Maps and Sets, cycles, the NUL character
 * (jsonb cannot store \u0000), unpaired UTF-16 surrogates (jsonb rejects them), invalid
 * Dates (JSON.stringify writes null) and nesting deeper than MAX_JSON_DEPTH (which would
 * overflow the stack here or in PostgreSQL's parser).
 */
export function toJsonText(value: unknown, what: string, maxBytes: number): string {
  check(value, what, new Set(), 0);
  const text = JSON.stringify(value) ?? 'null';
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new PayloadError(`${what} is ${bytes} bytes as JSON, over the limit of ${maxBytes} bytes`, what);
  }
  return text;
}

/** Deeper than any payload a person writes, far short of a stack overflow. */
export const MAX_JSON_DEPTH = 1_000;

function check(value: unknown, path: string, ancestors: Set<object>, depth: number): void {
  switch (typeof value) {
    case 'string':
      if (value.includes('\u0000')) fail(path, 'contains the NUL character (\\u0000), which PostgreSQL jsonb cannot store');
      if (hasLoneSurrogate(value)) fail(path, 'contains an unpaired UTF-16 surrogate (a broken character), which PostgreSQL jsonb cannot store');
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(path, `is ${value}, which JSON cannot represent`);
      return;
    case 'boolean':
    case 'undefined':
      return;
    case 'bigint':
      fail(path, 'is a bigint, which JSON cannot represent: convert it to a string or number');
      return;
    case 'function':
    case 'symbol':
      fail(path, `is a ${typeof value}, which JSON cannot represent`);
      return;
  }
  if (value === null) return;
  const obj = value as object;
  if (depth >= MAX_JSON_DEPTH) fail(path.length > 200 ? `${path.slice(0, 200)}…` : path, `nests deeper than ${MAX_JSON_DEPTH} levels`);
  if (ancestors.has(obj)) fail(path, 'refers back to itself (a cycle), which JSON cannot represent');
  if (obj instanceof Map || obj instanceof Set || obj instanceof WeakMap || obj instanceof WeakSet) {
    fail(path, `is a ${obj.constructor.name}, which JSON.stringify turns into {}: convert it to an object or array`);
  }
  // Dates, Buffers and other objects that define toJSON say themselves how they serialise:
  // what they return is what gets stored, so that is what is checked.
  if (obj instanceof Date && Number.isNaN(obj.getTime())) fail(path, 'is an invalid Date, which JSON.stringify turns into null');
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    ancestors.add(obj);
    check((obj as { toJSON(): unknown }).toJSON(), path, ancestors, depth + 1);
    ancestors.delete(obj);
    return;
  }
  ancestors.add(obj);
  if (Array.isArray(obj)) {
    obj.forEach((item, i) => check(item, `${path}[${i}]`, ancestors, depth + 1));
  } else {
    for (const [key, item] of Object.entries(obj)) {
      if (key.includes('\u0000')) fail(path, 'has a key containing the NUL character (\\u0000)');
      if (hasLoneSurrogate(key)) fail(path, 'has a key containing an unpaired UTF-16 surrogate');
      check(item, /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`, ancestors, depth + 1);
    }
  }
  ancestors.delete(obj);
}

function fail(path: string, problem: string): never {
  throw new PayloadError(`${path} ${problem}`, path);
}
