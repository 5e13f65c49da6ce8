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
  check(value, what, undefined, new Set(), 0);
  const text = JSON.stringify(value) ?? 'null';
  // A UTF-16 unit is at most 3 bytes of UTF-8: most texts are well short of the limit uncounted.
  const bytes = text.length * 3 <= maxBytes ? 0 : Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new PayloadError(`${what} is ${bytes} bytes as JSON, over the limit of ${maxBytes} bytes`, what);
  }
  return text;
}

/** Deeper than any payload a person writes, far short of a stack overflow. */
export const MAX_JSON_DEPTH = 1_000;

/**
 * Where in the value a part is: a key or index and the place of its container, made into text
 * ("payload.user.tags[2]") only for an error, so a valid value pays for no strings.
 */
interface Place {
  readonly up: Place | undefined;
  readonly key: string | number;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function pathOf(root: string, at: Place | undefined): string {
  const keys: Array<string | number> = [];
  for (let p = at; p; p = p.up) keys.push(p.key);
  let path = root;
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i]!;
    path += typeof key === 'number' ? `[${key}]` : IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  }
  return path;
}

function check(value: unknown, root: string, at: Place | undefined, ancestors: Set<object>, depth: number): void {
  switch (typeof value) {
    case 'string':
      if (value.includes('\u0000')) fail(root, at, 'contains the NUL character (\\u0000), which PostgreSQL jsonb cannot store');
      if (hasLoneSurrogate(value)) fail(root, at, 'contains an unpaired UTF-16 surrogate (a broken character), which PostgreSQL jsonb cannot store');
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(root, at, `is ${value}, which JSON cannot represent`);
      return;
    case 'boolean':
    case 'undefined':
      return;
    case 'bigint':
      fail(root, at, 'is a bigint, which JSON cannot represent: convert it to a string or number');
      return;
    case 'function':
    case 'symbol':
      fail(root, at, `is a ${typeof value}, which JSON cannot represent`);
      return;
  }
  if (value === null) return;
  const obj = value as object;
  if (depth >= MAX_JSON_DEPTH) {
    const path = pathOf(root, at);
    throw new PayloadError(`${path.length > 200 ? `${path.slice(0, 200)}…` : path} nests deeper than ${MAX_JSON_DEPTH} levels`, path);
  }
  if (ancestors.has(obj)) fail(root, at, 'refers back to itself (a cycle), which JSON cannot represent');
  if (obj instanceof Map || obj instanceof Set || obj instanceof WeakMap || obj instanceof WeakSet) {
    fail(root, at, `is a ${obj.constructor.name}, which JSON.stringify turns into {}: convert it to an object or array`);
  }
  // Dates, Buffers and other objects that define toJSON say themselves how they serialise:
  // what they return is what gets stored, so that is what is checked.
  if (obj instanceof Date && Number.isNaN(obj.getTime())) fail(root, at, 'is an invalid Date, which JSON.stringify turns into null');
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    ancestors.add(obj);
    check((obj as { toJSON(): unknown }).toJSON(), root, at, ancestors, depth + 1);
    ancestors.delete(obj);
    return;
  }
  ancestors.add(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) check(obj[i], root, { up: at, key: i }, ancestors, depth + 1);
  } else {
    for (const key of Object.keys(obj)) {
      if (key.includes('\u0000')) fail(root, at, 'has a key containing the NUL character (\\u0000)');
      if (hasLoneSurrogate(key)) fail(root, at, 'has a key containing an unpaired UTF-16 surrogate');
      check((obj as Record<string, unknown>)[key], root, { up: at, key }, ancestors, depth + 1);
    }
  }
  ancestors.delete(obj);
}

function fail(root: string, at: Place | undefined, problem: string): never {
  const path = pathOf(root, at);
  throw new PayloadError(`${path} ${problem}`, path);
}
