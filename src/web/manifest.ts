import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/** A JSON Schema as `pgq generate` writes it (draft 2020-12, from zod). */
export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  [key: string]: unknown;
};

export interface ManifestJob {
  fingerprint: string;
  schedule: string | null;
  timezone: string | null;
  /** Per-job policy: retry, rateLimit, concurrencyLimit, groupConcurrency, serializedDispatch… */
  options: Record<string, unknown>;
  /** The schema file gives the job a group (its `group` function): an enqueue must name one. */
  grouped?: boolean;
  payload: JsonSchema | null;
  result: JsonSchema | null;
}

/** `pgq.manifest.json`: per job its JSON Schema, fingerprint and options. */
export interface Manifest {
  jobs: Record<string, ManifestJob>;
}

/** Reads a manifest file, or takes one already parsed; fails with a ConfigError naming the file. */
export function loadManifest(source: string | Manifest): Manifest {
  if (typeof source !== 'string') return source;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(source, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read the manifest ${source}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!parsed || typeof parsed !== 'object' || typeof (parsed as Manifest).jobs !== 'object') {
    throw new ConfigError(`${source} is not a pgqueuer manifest (no "jobs"): run pgq generate`);
  }
  return parsed as Manifest;
}
