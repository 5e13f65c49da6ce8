import type { JobTypes, PrintedMember, PrintedType } from './type-printer.js';

/**
 * Prints a job's types from its zod schemas as they are at run time, without TypeScript: the
 * checker costs seconds to start, this costs microseconds. It must print exactly what the
 * checker would (the generated files stay byte-identical), so it knows a closed set of zod
 * shapes and the way TypeScript prints them, and gives up (returns undefined) on anything
 * else; the checker then prints that job. test/codegen/zod-type-printer.test.ts holds the
 * two side by side.
 */

/** Thrown to give up on a job: the checker will print it. */
class Unprintable extends Error {}

type Def = Record<string, unknown> & { type: string };
interface Schema {
  _zod: { def: Def };
}

/**
 * One member of a union as TypeScript orders it when printing: intrinsic types (created when
 * the checker starts) before literal and object types (created as the schema is checked), null
 * and undefined last. `literal` ranks come from {@link LiteralOrder}.
 */
type Piece =
  | { kind: 'top'; text: 'any' | 'unknown' }
  | { kind: 'intrinsic'; text: (typeof INTRINSICS)[number] }
  | { kind: 'literal'; value: string }
  | { kind: 'other'; text: string };

const INTRINSICS = ['string', 'number', 'bigint', 'boolean', 'symbol'] as const;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** Literal text the printer is sure TypeScript quotes as-is between single quotes. */
const PLAIN_LITERAL = /^[\w .,:;@#/+\-]*$/;

type Mode = 'input' | 'output';

/**
 * TypeScript orders a union's string literals by when each literal type was first created,
 * which is the order in which the checker meets them. The checker meets the schema's in the
 * order this walk does (jobs in order, each definition's values in order, a shared schema at
 * its first use) unless the same text also appears somewhere the walk cannot see: in a
 * message, a description, a property name, or zod's and pgqueuer's own declarations. So a
 * literal is only printed here if its text occurs in the project's source exactly as often
 * as the walk met it, and, in a union, is none of the texts in `seenElsewhere`.
 */
export class LiteralOrder {
  private readonly rank = new Map<string, number>();
  private readonly met = new Map<string, number>();
  private readonly visited = new Set<object>();
  /** Property names (job names, option names, shape keys): the checker makes literal types of those too. */
  private readonly names = new Set<string>();

  constructor(
    /** How often each string appears as a string literal in the project's source files. */
    private readonly sourceCounts: ReadonlyMap<string, number>,
    /** Texts TypeScript may have made literal types of before reaching the schema's. */
    private readonly seenElsewhere: () => ReadonlySet<string>,
  ) {}

  /** Walks every job's definition in declaration order, before anything is printed. */
  walk(value: unknown): void {
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'string') this.meet(value);
      return;
    }
    if (this.visited.has(value)) return;
    this.visited.add(value);
    if (isSchema(value)) {
      const def = value._zod.def;
      if (def.type === 'enum') Object.values(def.entries as object).forEach((v) => this.walk(v));
      if (def.type === 'literal') (def.values as unknown[]).forEach((v) => this.walk(v));
      for (const key of ['innerType', 'element', 'shape', 'options', 'items', 'keyType', 'valueType', 'defaultValue']) {
        if (key in def) this.walk(def[key]);
      }
      return;
    }
    if (!Array.isArray(value)) Object.keys(value).forEach((key) => this.names.add(key));
    for (const child of Array.isArray(value) ? value : Object.values(value)) this.walk(child);
  }

  private meet(text: string): void {
    if (!this.rank.has(text)) this.rank.set(text, this.rank.size);
    this.met.set(text, (this.met.get(text) ?? 0) + 1);
  }

  check(text: string, inUnion: boolean): number {
    const rank = this.rank.get(text);
    if (rank === undefined || this.met.get(text) !== (this.sourceCounts.get(text) ?? 0)) throw new Unprintable();
    if (inUnion && (this.names.has(text) || this.seenElsewhere().has(text))) throw new Unprintable();
    return rank;
  }
}

function isSchema(value: unknown): value is Schema {
  return typeof (value as Schema | null)?._zod?.def?.type === 'string';
}

/** A job's four types, or undefined when one of them needs the checker. */
export function printJobTypesFromZod(
  definition: { payload?: unknown; result?: unknown },
  order: LiteralOrder,
): JobTypes | undefined {
  try {
    const types: JobTypes = { payload: topLevel(definition.payload, 'input', order), parsed: topLevel(definition.payload, 'output', order) };
    if (definition.result !== undefined) {
      types.result = topLevel(definition.result, 'output', order);
      types.resultInput = topLevel(definition.result, 'input', order);
    }
    return types;
  } catch (err) {
    // A recursive schema the source scan missed runs out of stack: the checker can print it.
    if (err instanceof Unprintable || err instanceof RangeError) return undefined;
    throw err;
  }
}

/** What type-printer.ts prints for a whole payload or result: a non-empty plain object as members, else the type's text. */
function topLevel(schema: unknown, mode: Mode, order: LiteralOrder): PrintedType {
  if (!isSchema(schema)) throw new Unprintable();
  const def = schema._zod.def;
  // Date is an object type with members to the checker: it would print them all.
  if (def.type === 'date') throw new Unprintable();
  if (def.type === 'object') {
    const members = objectMembers(def, mode, order).map((m) => ({ ...m, type: m.optional ? m.type.replace(/ \| undefined$/, '') : m.type }));
    return { kind: 'object', members };
  }
  return { kind: 'alias', text: union(pieces(schema, mode, order), order) };
}

/** Zod's object types list required keys first, then optional ones, each in declaration order. */
function objectMembers(def: Def, mode: Mode, order: LiteralOrder): PrintedMember[] {
  if (def.catchall !== undefined) throw new Unprintable();
  const shape = def.shape as Record<string, unknown>;
  const keys = Object.keys(shape);
  // JavaScript lists integer-like keys first, TypeScript in declaration order.
  if (keys.length === 0 || keys.some((key) => /^\d+$/.test(key))) throw new Unprintable();
  const members = keys.map((name) => {
    const child = shape[name];
    if (!isSchema(child)) throw new Unprintable();
    const optional = mode === 'input' ? optionalIn(child) : optionalOut(child);
    // The checker prints an optional member's type with "| undefined"; the top level drops it.
    return { name, optional, type: union(pieces(child, mode, order), order) };
  });
  // Printed with "| undefined", as the checker's text is before type-printer.ts trims it.
  return [...members.filter((m) => !m.optional), ...members.filter((m) => m.optional)];
}

function optionalIn(schema: Schema): boolean {
  const def = schema._zod.def;
  if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault') return true;
  return def.type === 'nullable' && optionalIn(def.innerType as Schema);
}

function optionalOut(schema: Schema): boolean {
  const def = schema._zod.def;
  if (def.type === 'optional') return true;
  return def.type === 'nullable' && optionalOut(def.innerType as Schema);
}

/** The union members of a schema's type, in no particular order yet. */
function pieces(schema: unknown, mode: Mode, order: LiteralOrder): Piece[] {
  if (!isSchema(schema)) throw new Unprintable();
  const def = schema._zod.def;
  switch (def.type) {
    case 'string':
    case 'number':
    case 'bigint':
    case 'boolean':
      // z.coerce.* accepts anything: its input type is unknown.
      if (def.coerce) throw new Unprintable();
      return [{ kind: 'intrinsic', text: def.type }];
    case 'date':
      if (def.coerce) throw new Unprintable();
      return [{ kind: 'other', text: 'Date' }];
    case 'null':
      return [{ kind: 'other', text: 'null' }];
    case 'any':
    case 'unknown':
      return [{ kind: 'top', text: def.type }];
    case 'literal':
    case 'enum': {
      const values = def.type === 'enum' ? Object.entries(def.entries as object) : (def.values as unknown[]).map((v) => [v, v]);
      if (values.length === 0) throw new Unprintable();
      return values.map(([key, value]) => {
        // A TypeScript enum passed to z.enum prints as the enum, not its values.
        if (typeof value !== 'string' || key !== value || !PLAIN_LITERAL.test(value)) throw new Unprintable();
        order.check(value, values.length > 1);
        return { kind: 'literal', value };
      });
    }
    case 'array': {
      const element = union(pieces(def.element, mode, order), order);
      return [{ kind: 'other', text: `${isUnion(element) ? `(${element})` : element}[]` }];
    }
    case 'object': {
      const members = objectMembers(def, mode, order);
      for (const m of members) if (!IDENTIFIER.test(m.name)) throw new Unprintable();
      // Nested, the checker keeps "| undefined" on optional members.
      const text = members.map((m) => `${m.name}${m.optional ? '?' : ''}: ${m.optional ? withUndefined(m.type) : m.type};`).join(' ');
      return [{ kind: 'other', text: `{ ${text} }` }];
    }
    case 'record': {
      const key = def.keyType as Schema;
      if (!isSchema(key) || key._zod.def.type !== 'string' || key._zod.def.coerce) throw new Unprintable();
      return [{ kind: 'other', text: `{ [x: string]: ${union(pieces(def.valueType, mode, order), order)}; }` }];
    }
    case 'tuple': {
      const items = def.items as unknown[];
      if (def.rest || items.length === 0) throw new Unprintable();
      const texts = items.map((item) => {
        if (isSchema(item) && (optionalIn(item) || optionalOut(item))) throw new Unprintable();
        return union(pieces(item, mode, order), order);
      });
      return [{ kind: 'other', text: `[${texts.join(', ')}]` }];
    }
    case 'union':
      // z.xor (exclusive) prints differently.
      if (def.inclusive === false) throw new Unprintable();
      return (def.options as unknown[]).flatMap((option) => pieces(option, mode, order));
    case 'optional':
      return [...pieces(def.innerType, mode, order), { kind: 'other', text: 'undefined' }];
    case 'nullable':
      return [...pieces(def.innerType, mode, order), { kind: 'other', text: 'null' }];
    case 'default':
    case 'prefault': {
      const inner = def.innerType as Schema;
      if (optionalIn(inner) || optionalOut(inner)) throw new Unprintable();
      const own = pieces(inner, mode, order);
      // A default makes the key optional for producers; the handler always gets a value.
      return mode === 'input' ? [...own, { kind: 'other', text: 'undefined' }] : own;
    }
    default:
      throw new Unprintable();
  }
}

/** A " | " outside any braces, brackets or parentheses. */
function isUnion(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if (depth === 0 && text.startsWith(' | ', i)) return true;
  }
  return false;
}

function withUndefined(text: string): string {
  return text === 'unknown' || text === 'any' || text.endsWith(' | undefined') ? text : `${text} | undefined`;
}

/**
 * The text of a union as TypeScript prints it: types sorted by id (intrinsics in the order the
 * checker creates them, then literals in the order the schema created them), null and
 * undefined moved to the end; any or unknown swallow the rest. A union of which that order
 * is not known (two object types, a literal with an object type) is not printed here.
 */
function union(all: Piece[], order: LiteralOrder): string {
  const top = all.find((p) => p.kind === 'top');
  if (top) return all.some((p) => p.kind === 'top' && p.text === 'any') ? 'any' : top.text;
  const intrinsics = INTRINSICS.filter((name) => all.some((p) => p.kind === 'intrinsic' && p.text === name));
  const literals = [...new Set(all.flatMap((p) => (p.kind === 'literal' ? [p.value] : [])))];
  const others = [...new Set(all.flatMap((p) => (p.kind === 'other' && p.text !== 'null' && p.text !== 'undefined' ? [p.text] : [])))];
  // 'a' | string is string; literal reduction is the checker's business.
  if (literals.length > 0 && intrinsics.includes('string')) throw new Unprintable();
  if (others.length > 1 || (others.length === 1 && literals.length > 0)) throw new Unprintable();
  if (literals.length > 1) literals.sort((a, b) => order.check(a, true) - order.check(b, true));
  const texts = [...intrinsics, ...literals.map((v) => `'${v}'`), ...others];
  if (all.some((p) => p.kind === 'other' && p.text === 'null')) texts.push('null');
  if (all.some((p) => p.kind === 'other' && p.text === 'undefined')) texts.push('undefined');
  return texts.join(' | ');
}
