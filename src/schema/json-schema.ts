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

const cache = new WeakMap<JobDefinition, string>();

/**
 * A short hash of a job's payload and result shapes. Producers stamp it on each job; a worker
 * whose schema differs (a deploy in progress, a forgotten `pgq generate`) notices and says so.
 */
export function fingerprint(definition: JobDefinition): string {
  let value = cache.get(definition);
  if (value === undefined) {
    const shape = {
      payload: definition.payload ? payloadJsonSchema(definition.payload) : null,
      result: definition.result ? resultJsonSchema(definition.result) : null,
    };
    value = createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
    cache.set(definition, value);
  }
  return value;
}

/** The header that carries the producer's fingerprint on each job. */
export const FINGERPRINT_HEADER = 'pgq-fingerprint';
