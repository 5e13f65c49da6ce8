import type { JsonSchema } from './manifest.js';

export interface SchemaIssue {
  path: string;
  message: string;
}

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' && Number.isInteger(v) ? 'integer' : typeof v;

const fits = (value: unknown, type: string): boolean => {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Checks a value against the JSON Schema subset zod's toJSONSchema writes for payloads:
 * types, enum/const, required and properties, items, lengths, bounds, pattern, anyOf. The
 * server's own check of an enqueue form; keywords it does not know are not checked (the
 * worker's zod parse remains the authority on a typed payload).
 */
export function checkSchema(schema: JsonSchema, value: unknown, path = ''): SchemaIssue[] {
  const at = path || '(payload)';
  const issues: SchemaIssue[] = [];
  if (schema.anyOf) {
    const ok = schema.anyOf.some((option) => checkSchema(option, value, path).length === 0);
    return ok ? [] : [{ path: at, message: 'matches none of the allowed shapes' }];
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => fits(value, t))) return [{ path: at, message: `expected ${types.join(' or ')}, got ${typeOf(value)}` }];
  }
  if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(value)) issues.push({ path: at, message: `must be ${JSON.stringify(schema.const)}` });
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    issues.push({ path: at, message: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}` });
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) issues.push({ path: at, message: `at least ${schema.minLength} characters` });
    if (schema.maxLength !== undefined && value.length > schema.maxLength) issues.push({ path: at, message: `at most ${schema.maxLength} characters` });
    if (schema.format === 'email' && !EMAIL.test(value)) issues.push({ path: at, message: 'not an email address' });
    else if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) issues.push({ path: at, message: `does not match ${schema.pattern}` });
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) issues.push({ path: at, message: `at least ${schema.minimum}` });
    if (schema.maximum !== undefined && value > schema.maximum) issues.push({ path: at, message: `at most ${schema.maximum}` });
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) issues.push({ path: at, message: `more than ${schema.exclusiveMinimum}` });
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) issues.push({ path: at, message: `less than ${schema.exclusiveMaximum}` });
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) issues.push({ path: at, message: `at least ${schema.minItems} items` });
    if (schema.maxItems !== undefined && value.length > schema.maxItems) issues.push({ path: at, message: `at most ${schema.maxItems} items` });
    if (schema.items) value.forEach((item, i) => issues.push(...checkSchema(schema.items!, item, `${path}[${i}]`)));
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in object)) issues.push({ path: path ? `${path}.${key}` : key, message: 'required' });
    for (const [key, v] of Object.entries(object)) {
      const child = schema.properties?.[key];
      const keyPath = path ? `${path}.${key}` : key;
      if (child) issues.push(...checkSchema(child, v, keyPath));
      else if (schema.additionalProperties === false) issues.push({ path: keyPath, message: 'not a known field' });
      else if (typeof schema.additionalProperties === 'object') issues.push(...checkSchema(schema.additionalProperties, v, keyPath));
    }
  }
  return issues;
}
