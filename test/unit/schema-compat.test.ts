import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z, type ZodObject } from 'zod';
import { compareSchemas, type Compatibility } from '../../codegen/schema-compat.js';
import { payloadJsonSchema } from '../../src/schema/json-schema.js';

/** Old payload schema (what queued jobs were written with), new one, the field, the verdict. */
const TABLE: Array<[string, ZodObject, ZodObject, string, Compatibility]> = [
  ['optional field added', z.object({ a: z.string() }), z.object({ a: z.string(), b: z.string().optional() }), 'b', 'compatible'],
  ['field added with a default', z.object({ a: z.string() }), z.object({ a: z.string(), b: z.string().default('x') }), 'b', 'compatible'],
  ['field removed', z.object({ a: z.string(), b: z.string() }), z.object({ a: z.string() }), 'b', 'compatible'],
  ['field became optional', z.object({ a: z.string() }), z.object({ a: z.string().optional() }), 'a', 'compatible'],
  ['type widened to a union', z.object({ a: z.string() }), z.object({ a: z.union([z.string(), z.number()]) }), 'a', 'compatible'],
  ['type widened: nullable', z.object({ a: z.string() }), z.object({ a: z.string().nullable() }), 'a', 'compatible'],
  ['type widened: integer to number', z.object({ a: z.int() }), z.object({ a: z.number() }), 'a', 'compatible'],
  ['type widened to any', z.object({ a: z.string() }), z.object({ a: z.unknown() }), 'a', 'compatible'],
  ['enum value added', z.object({ a: z.enum(['x']) }), z.object({ a: z.enum(['x', 'y']) }), 'a', 'compatible'],
  ['constraint loosened: maxLength', z.object({ a: z.string().max(5) }), z.object({ a: z.string().max(9) }), 'a', 'compatible'],
  ['constraint removed: minimum', z.object({ a: z.number().min(1) }), z.object({ a: z.number() }), 'a', 'compatible'],
  ['enum dropped for its type', z.object({ a: z.enum(['x', 'y']) }), z.object({ a: z.string() }), 'a', 'compatible'],
  ['nested optional field added', z.object({ o: z.object({ a: z.string() }) }), z.object({ o: z.object({ a: z.string(), b: z.number().optional() }) }), 'o.b', 'compatible'],

  ['required field added without a default', z.object({ a: z.string() }), z.object({ a: z.string(), b: z.string() }), 'b', 'breaking'],
  ['field became required', z.object({ a: z.string().optional() }), z.object({ a: z.string() }), 'a', 'breaking'],
  ['type changed', z.object({ a: z.string() }), z.object({ a: z.number() }), 'a', 'breaking'],
  ['type narrowed: number to integer', z.object({ a: z.number() }), z.object({ a: z.int() }), 'a', 'breaking'],
  ['type narrowed: union member removed', z.object({ a: z.union([z.string(), z.number()]) }), z.object({ a: z.string() }), 'a', 'breaking'],
  ['type narrowed: no longer nullable', z.object({ a: z.string().nullable() }), z.object({ a: z.string() }), 'a', 'breaking'],
  ['type narrowed from any', z.object({ a: z.unknown() }), z.object({ a: z.string() }), 'a', 'breaking'],
  ['enum value removed', z.object({ a: z.enum(['x', 'y']) }), z.object({ a: z.enum(['x']) }), 'a', 'breaking'],
  ['now limited to an enum', z.object({ a: z.string() }), z.object({ a: z.enum(['x']) }), 'a', 'breaking'],
  ['literal changed', z.object({ a: z.literal('x') }), z.object({ a: z.literal('y') }), 'a', 'breaking'],
  ['constraint tightened: minLength', z.object({ a: z.string().min(1) }), z.object({ a: z.string().min(3) }), 'a', 'breaking'],
  ['constraint added: maxLength', z.object({ a: z.string() }), z.object({ a: z.string().max(3) }), 'a', 'breaking'],
  ['constraint tightened: maximum', z.object({ a: z.number().max(10) }), z.object({ a: z.number().max(5) }), 'a', 'breaking'],
  ['constraint added: exclusive minimum', z.object({ a: z.number() }), z.object({ a: z.number().positive() }), 'a', 'breaking'],
  ['constraint added: pattern', z.object({ a: z.string() }), z.object({ a: z.string().regex(/^x/) }), 'a', 'breaking'],
  ['constraint changed: pattern', z.object({ a: z.string().regex(/^x/) }), z.object({ a: z.string().regex(/^y/) }), 'a', 'breaking'],
  ['constraint added: format', z.object({ a: z.string() }), z.object({ a: z.email() }), 'a', 'breaking'],
  ['constraint tightened: minItems', z.object({ a: z.array(z.string()) }), z.object({ a: z.array(z.string()).min(1) }), 'a', 'breaking'],
  ['array item type changed', z.object({ a: z.array(z.string()) }), z.object({ a: z.array(z.number()) }), 'a[]', 'breaking'],
  ['nested required field added', z.object({ o: z.object({ a: z.string() }) }), z.object({ o: z.object({ a: z.string(), b: z.string() }) }), 'o.b', 'breaking'],
  ['strict object: field removed', z.object({ a: z.string(), b: z.string() }), z.strictObject({ a: z.string() }), 'b', 'breaking'],
  ['record value type changed', z.object({ m: z.record(z.string(), z.string()) }), z.object({ m: z.record(z.string(), z.number()) }), 'm[*]', 'breaking'],
];

for (const [name, before, after, field, expected] of TABLE) {
  test(`${name} → ${expected}`, () => {
    const changes = compareSchemas(payloadJsonSchema(before), payloadJsonSchema(after));
    const atField = changes.filter((c) => c.path === field);
    assert.ok(atField.length > 0, `a change at "${field}", got ${JSON.stringify(changes)}`);
    const verdict: Compatibility = changes.some((c) => c.compatibility === 'breaking') ? 'breaking' : 'compatible';
    assert.equal(verdict, expected, JSON.stringify(changes));
    if (expected === 'breaking') assert.ok(atField.some((c) => c.compatibility === 'breaking'), `the breaking change is named at "${field}": ${JSON.stringify(changes)}`);
  });
}

test('an unchanged schema, or one changed only in descriptions and defaults of optional fields, has no changes', () => {
  const a = z.object({ to: z.string().describe('who'), description: z.string(), title: z.number().optional() });
  const b = z.object({ to: z.string().describe('whom'), description: z.string(), title: z.number().optional() });
  assert.deepEqual(compareSchemas(payloadJsonSchema(a), payloadJsonSchema(a)), []);
  assert.deepEqual(compareSchemas(payloadJsonSchema(a), payloadJsonSchema(b)), []);
  // Fields named like annotations are fields: changing one is seen.
  const c = z.object({ to: z.string(), description: z.number(), title: z.number().optional() });
  assert.deepEqual(compareSchemas(payloadJsonSchema(a), payloadJsonSchema(c)).map((x) => [x.path, x.compatibility]), [['description', 'breaking']]);
});
