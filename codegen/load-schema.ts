import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { isJobsSchema, type JobDefinition } from '../src/schema/define-jobs.js';
import { fingerprint, payloadFingerprint, payloadJsonSchema, resultJsonSchema } from '../src/schema/json-schema.js';
import { CodegenError } from './errors.js';
import { loadModule } from './bundle-module.js';

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

export interface LoadedSchema {
  jobs: JobInfo[];
  /** The schema file and the project files it imports (absolute paths). */
  inputs: string[];
  /** The packages they import. */
  packages: string[];
}

/**
 * Runs the schema module (its defineJobs checks apply, so a bad definition fails here, naming
 * the job) and reads each job's shapes as JSON Schema.
 */
export async function loadSchema(path: string, root: string): Promise<LoadedSchema> {
  const shown = relative(root, path) || path;
  if (!existsSync(path)) {
    throw new CodegenError(`schema file ${shown} not found (set "schema" in pgq.config.ts or pass --schema)`);
  }
  const { exports, inputs, packages } = await loadModule(path, shown);
  if (!isJobsSchema(exports.default)) {
    throw new CodegenError(`${shown} must \`export default defineJobs({ ... })\``);
  }
  const jobs = Object.entries(exports.default.jobs).map(([name, definition]) => ({
    name,
    definition,
    fingerprint: fingerprint(definition),
    payloadSchema: definition.payload ? payloadJsonSchema(definition.payload) : null,
    resultSchema: definition.result ? resultJsonSchema(definition.result) : null,
    previous: (definition.previous ?? []).map((version) => ({ fingerprint: payloadFingerprint(version.payload), payload: payloadJsonSchema(version.payload) })),
  }));
  return { jobs, inputs, packages };
}
