import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { isJobsSchema, type JobDefinition } from '../src/schema/define-jobs.js';
import { fingerprint, payloadFingerprint, payloadJsonSchema, resultJsonSchema } from '../src/schema/json-schema.js';
import { CodegenError } from './errors.js';
import { importModule } from '../src/load-module.js';

/** What the generator knows of one job, from running the schema module. */
export interface JobInfo {
  name: string;
  definition: JobDefinition;
  fingerprint: string;
  payloadSchema: Record<string, unknown> | null;
  resultSchema: Record<string, unknown> | null;
  /** Its earlier payload versions (`previous`), oldest first. */
  previous: Array<{ fingerprint: string; payload: Record<string, unknown> }>;
}

/**
 * Runs the schema module (its defineJobs checks apply, so a bad definition fails here, naming
 * the job) and reads each job's shapes as JSON Schema.
 */
export async function loadSchema(path: string, root: string): Promise<JobInfo[]> {
  const shown = relative(root, path) || path;
  if (!existsSync(path)) {
    throw new CodegenError(`schema file ${shown} not found (set "schema" in pgq.config.ts or pass --schema)`);
  }
  const module = (await importModule(path)) as { default?: unknown };
  if (!isJobsSchema(module.default)) {
    throw new CodegenError(`${shown} must \`export default defineJobs({ ... })\``);
  }
  return Object.entries(module.default.jobs).map(([name, definition]) => ({
    name,
    definition,
    fingerprint: fingerprint(definition),
    payloadSchema: definition.payload ? payloadJsonSchema(definition.payload) : null,
    resultSchema: definition.result ? resultJsonSchema(definition.result) : null,
    previous: (definition.previous ?? []).map((version) => ({ fingerprint: payloadFingerprint(version.payload), payload: payloadJsonSchema(version.payload) })),
  }));
}
