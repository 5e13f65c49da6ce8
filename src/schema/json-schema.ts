import { createHash } from 'node:crypto';
import { toJSONSchema, type ZodType } from 'zod';
import type { JobDefinition } from './define-jobs.js';

/** JSON Schema of what producers send (`io: 'input'`): what is stored in the queue. */
export function payloadJsonSchema(schema: ZodType): Record<string, unknown> {
  // Transforms and other types JSON Schema cannot express become {} rather than failing.
  return toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

export function resultJsonSchema(schema: ZodType): Record<string, unknown> {
  return toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
}

const cache = new WeakMap<object, string>();
/** The cache key of a job without a payload (a scheduled one). */
const NO_PAYLOAD = {};

/**
 * A short hash of a payload schema (as JSON Schema): the version of the payload's shape.
 * Producers stamp it on each job, so a worker knows which shape a stored payload has: the
 * current one, one of `previous` (it upcasts), or one it does not know (a newer producer
 * during a rolling deploy, or a forgotten `pgq generate`). Only the payload counts: a changed
 * result schema does not change what a queued job holds.
 */
export function payloadFingerprint(schema: ZodType | undefined): string {
  const key = schema ?? NO_PAYLOAD;
  let value = cache.get(key);
  if (value === undefined) {
    value = createHash('sha256').update(JSON.stringify({ payload: schema ? payloadJsonSchema(schema) : null })).digest('hex').slice(0, 16);
    cache.set(key, value);
  }
  return value;
}

/** The fingerprint of a job's current payload schema: what its producers stamp. */
export function fingerprint(definition: JobDefinition): string {
  return payloadFingerprint(definition.payload);
}

export { FINGERPRINT_HEADER } from './fingerprint-header.js';
