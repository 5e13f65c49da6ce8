/**
 * Whether jobs already in the queue still fit a changed payload schema: compares the JSON
 * Schema they were written with (the writer, from the committed manifest) with the one the
 * new workers will parse them with (the reader). A change is compatible when every payload
 * the writer allowed is still accepted by the reader, breaking when some may not be.
 *
 * Only what zod's JSON Schema output uses is compared (types, unions, enums and consts,
 * object properties, arrays, the string, number and array constraints, local $refs); anything
 * else that differs is reported as a change that cannot be checked, and counted as breaking.
 */

export type JsonSchema = Record<string, unknown> | boolean;
export type Compatibility = 'compatible' | 'breaking';

export interface SchemaChange {
  /** The field, as in a validation issue: "to", "items[].sku"; "" for the payload itself. */
  path: string;
  /** What changed, in words. */
  change: string;
  compatibility: Compatibility;
}

/** Keywords that do not change which values are valid. */
const ANNOTATIONS = new Set(['$schema', 'title', 'description', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly', '$comment', '$defs', 'definitions', 'id', '$id']);
/** Bounds a reader may only loosen: a higher minimum refuses values the writer allowed. */
const LOWER_BOUNDS = ['minLength', 'minItems', 'minProperties', 'minimum', 'exclusiveMinimum'] as const;
const UPPER_BOUNDS = ['maxLength', 'maxItems', 'maxProperties', 'maximum', 'exclusiveMaximum'] as const;
/** Constraints a reader may drop but not add or change. */
const EXACT_CONSTRAINTS = ['pattern', 'format', 'multipleOf', 'uniqueItems'] as const;
const HANDLED = new Set<string>([
  ...ANNOTATIONS, ...LOWER_BOUNDS, ...UPPER_BOUNDS, ...EXACT_CONSTRAINTS,
  'type', 'anyOf', 'oneOf', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'propertyNames', 'items', 'prefixItems', '$ref',
]);

interface Roots {
  writer: JsonSchema;
  reader: JsonSchema;
}

/** Every change from `writer` to `reader`, each judged for payloads the writer produced. */
export function compareSchemas(writer: JsonSchema, reader: JsonSchema): SchemaChange[] {
  const changes: SchemaChange[] = [];
  compare(writer, reader, '', changes, { writer, reader }, 0);
  return changes;
}

function compare(w0: JsonSchema, r0: JsonSchema, path: string, out: SchemaChange[], roots: Roots, depth: number): void {
  const note = (change: string, compatibility: Compatibility): void => void out.push({ path, change, compatibility });
  if (depth > 32) return note('nested too deeply to compare', 'breaking');
  const w = resolve(w0, roots.writer);
  const r = resolve(r0, roots.reader);
  if (sameValues(withoutAnnotations(w), withoutAnnotations(r))) return;
  if (acceptsAnything(r)) return note('type widened to any value', 'compatible');
  if (acceptsAnything(w)) return note(`type narrowed from any value to ${describe(r)}`, 'breaking');
  if (w === false || r === false) return note(`type changed from ${describe(w)} to ${describe(r)}`, r === false ? 'breaking' : 'compatible');
  const wo = w as Record<string, unknown>;
  const ro = r as Record<string, unknown>;

  const wAlts = alternatives(wo);
  const rAlts = alternatives(ro);
  if (wAlts.length > 1 || rAlts.length > 1) {
    // Each shape the writer allowed must still be read by a shape of the same type.
    for (const alt of wAlts) {
      const match = rAlts.find((candidate) => accepts(typeOf(candidate), typeOf(alt)));
      if (!match) note(`type narrowed: ${describe(alt)} is no longer accepted`, 'breaking');
      else compare(alt, match, path, out, roots, depth + 1);
    }
    for (const alt of rAlts) {
      if (!wAlts.some((candidate) => accepts(typeOf(alt), typeOf(candidate)))) note(`type widened: ${describe(alt)} is now accepted too`, 'compatible');
    }
    return;
  }

  const wt = typeOf(wo);
  const rt = typeOf(ro);
  if (wt !== rt) {
    if (!accepts(rt, wt)) return note(`type changed from ${wt ?? describe(wo)} to ${rt ?? describe(ro)}`, 'breaking');
    note(`type widened from ${wt} to ${rt}`, 'compatible');
  }
  compareEnums(wo, ro, note);
  compareConstraints(wo, ro, note);
  if (rt === 'object') compareObjects(wo, ro, path, out, roots, depth);
  if (rt === 'array') compareArrays(wo, ro, path, out, roots, depth);
  const unknown = Object.keys({ ...wo, ...ro }).filter((k) => !HANDLED.has(k) && !sameValues(wo[k], ro[k]));
  for (const key of unknown) note(`"${key}" changed, which this check does not compare`, 'breaking');
}

function compareEnums(w: Record<string, unknown>, r: Record<string, unknown>, note: (change: string, c: Compatibility) => void): void {
  const wValues = allowedValues(w);
  const rValues = allowedValues(r);
  if (!rValues) {
    if (wValues) note(`no longer limited to ${list(wValues)}`, 'compatible');
    return;
  }
  if (!wValues) return note(`now limited to ${list(rValues)}`, 'breaking');
  const removed = wValues.filter((v) => !rValues.some((x) => sameValues(x, v)));
  const added = rValues.filter((v) => !wValues.some((x) => sameValues(x, v)));
  if (removed.length > 0) note(`enum value${removed.length > 1 ? 's' : ''} removed: ${list(removed)}`, 'breaking');
  if (added.length > 0) note(`enum value${added.length > 1 ? 's' : ''} added: ${list(added)}`, 'compatible');
}

function compareConstraints(w: Record<string, unknown>, r: Record<string, unknown>, note: (change: string, c: Compatibility) => void): void {
  const bound = (key: string, tighter: (was: number, now: number) => boolean) => {
    const was = w[key] as number | undefined;
    const now = r[key] as number | undefined;
    if (was === now) return;
    if (now === undefined) return note(`${key} ${was} removed`, 'compatible');
    if (was === undefined) return note(`${key} ${now} added`, 'breaking');
    note(`${key} ${tighter(was, now) ? 'tightened' : 'loosened'} from ${was} to ${now}`, tighter(was, now) ? 'breaking' : 'compatible');
  };
  for (const key of LOWER_BOUNDS) bound(key, (was, now) => now > was);
  for (const key of UPPER_BOUNDS) bound(key, (was, now) => now < was);
  for (const key of EXACT_CONSTRAINTS) {
    if (sameValues(w[key], r[key])) continue;
    if (r[key] === undefined) note(`${key} ${JSON.stringify(w[key])} removed`, 'compatible');
    else if (key === 'uniqueItems' && r[key] === false) note('uniqueItems removed', 'compatible');
    else note(w[key] === undefined ? `${key} ${JSON.stringify(r[key])} added` : `${key} changed from ${JSON.stringify(w[key])} to ${JSON.stringify(r[key])}`, 'breaking');
  }
}

function compareObjects(w: Record<string, unknown>, r: Record<string, unknown>, path: string, out: SchemaChange[], roots: Roots, depth: number): void {
  const wProps = (w.properties ?? {}) as Record<string, JsonSchema>;
  const rProps = (r.properties ?? {}) as Record<string, JsonSchema>;
  const wRequired = new Set((w.required ?? []) as string[]);
  const rRequired = new Set((r.required ?? []) as string[]);
  const at = (key: string) => (path ? `${path}.${key}` : key);
  const note = (key: string, change: string, compatibility: Compatibility): void => void out.push({ path: at(key), change, compatibility });
  for (const [key, schema] of Object.entries(rProps)) {
    if (key in wProps) continue;
    if (!rRequired.has(key)) note(key, hasDefault(schema) ? 'field added, with a default' : 'optional field added', 'compatible');
    else note(key, 'required field added without a default', 'breaking');
  }
  for (const key of Object.keys(wProps)) {
    if (key in rProps) continue;
    // zod objects strip fields they do not know: a removed field is ignored, unless strict.
    if (r.additionalProperties === false) note(key, 'field removed, and the new schema refuses fields it does not know', 'breaking');
    else note(key, 'field removed', 'compatible');
  }
  for (const [key, schema] of Object.entries(rProps)) {
    if (!(key in wProps)) continue;
    if (rRequired.has(key) && !wRequired.has(key)) note(key, 'field became required', 'breaking');
    if (!rRequired.has(key) && wRequired.has(key)) note(key, 'field became optional', 'compatible');
    compare(wProps[key]!, schema, at(key), out, roots, depth + 1);
  }
  // additionalProperties: absent lets unknown fields through (zod strips them), false refuses
  // them (z.strictObject), a schema types them (z.record).
  const wExtra = w.additionalProperties as JsonSchema | undefined;
  const rExtra = r.additionalProperties as JsonSchema | undefined;
  const values = path ? `${path}[*]` : '[*]';
  if (sameValues(wExtra, rExtra)) return;
  if (rExtra === false) out.push({ path, change: 'now refuses fields it does not list', compatibility: 'breaking' });
  else if (wExtra === false) out.push({ path, change: 'now accepts fields it does not list', compatibility: 'compatible' });
  else compare(wExtra ?? true, rExtra ?? true, values, out, roots, depth + 1);
}

function compareArrays(w: Record<string, unknown>, r: Record<string, unknown>, path: string, out: SchemaChange[], roots: Roots, depth: number): void {
  const wTuple = (w.prefixItems ?? []) as JsonSchema[];
  const rTuple = (r.prefixItems ?? []) as JsonSchema[];
  for (let i = 0; i < Math.max(wTuple.length, rTuple.length); i++) {
    compare(wTuple[i] ?? (w.items as JsonSchema | undefined) ?? true, rTuple[i] ?? (r.items as JsonSchema | undefined) ?? true, `${path}[${i}]`, out, roots, depth + 1);
  }
  if (!sameValues(w.items, r.items)) compare((w.items as JsonSchema | undefined) ?? true, (r.items as JsonSchema | undefined) ?? true, `${path}[]`, out, roots, depth + 1);
}

// ---- Reading schemas

/** A local `$ref` ("#/$defs/x") replaced by what it names; other refs are left as they are. */
function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; hops < 16 && typeof current === 'object' && typeof current.$ref === 'string'; hops++) {
    const target = pointer(root, current.$ref);
    if (target === undefined) break;
    const { $ref: _ref, ...rest } = current;
    current = Object.keys(rest).length === 0 ? target : { ...(target as object), ...rest };
  }
  return current;
}

function pointer(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    node = (node as Record<string, unknown> | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return typeof node === 'object' || typeof node === 'boolean' ? (node as JsonSchema) : undefined;
}

/** The shapes a schema allows: the branches of a union, or one per listed type. */
function alternatives(schema: Record<string, unknown>): Record<string, unknown>[] {
  const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(branches)) {
    const { anyOf: _a, oneOf: _o, ...rest } = schema;
    return branches.flatMap((b) => (typeof b === 'object' ? alternatives({ ...rest, ...b }) : b ? [rest] : []));
  }
  if (Array.isArray(schema.type)) return (schema.type as string[]).map((type) => ({ ...schema, type }));
  return [schema];
}

function typeOf(schema: Record<string, unknown>): string | undefined {
  if (typeof schema.type === 'string') return schema.type;
  const values = allowedValues(schema);
  if (values && values.length > 0) {
    const types = new Set(values.map(jsonType));
    if (types.size === 1) return [...types][0];
  }
  if (schema.properties) return 'object';
  if (schema.items || schema.prefixItems) return 'array';
  return undefined;
}

/** Whether a value of JSON type `writer` is one of type `reader` (an integer is a number). */
function accepts(reader: string | undefined, writer: string | undefined): boolean {
  return reader === writer || (reader === 'number' && writer === 'integer');
}

function allowedValues(schema: Record<string, unknown>): unknown[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum;
  if ('const' in schema) return [schema.const];
  return undefined;
}

function acceptsAnything(schema: JsonSchema): boolean {
  return schema === true || (typeof schema === 'object' && Object.keys(schema).every((k) => ANNOTATIONS.has(k)));
}

function hasDefault(schema: JsonSchema): boolean {
  return typeof schema === 'object' && 'default' in schema;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function describe(schema: JsonSchema): string {
  if (schema === true) return 'any value';
  if (schema === false) return 'no value';
  const values = allowedValues(schema);
  if (values) return list(values);
  return typeOf(schema) ?? 'a shape';
}

function list(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

/** A schema without the keywords that do not change what it accepts (its own, not its fields'). */
function withoutAnnotations(schema: JsonSchema): JsonSchema {
  if (typeof schema !== 'object') return schema;
  return Object.fromEntries(Object.entries(schema).filter(([key]) => !ANNOTATIONS.has(key)));
}

/** Deep equality of JSON values. */
function sameValues(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => sameValues(v, (b as unknown[])[i]));
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  return ak.length === bk.length && ak.every((k) => k in b && sameValues((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
