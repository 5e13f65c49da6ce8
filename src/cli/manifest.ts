import { existsSync, readFileSync } from 'node:fs';
import { ConfigError, ValidationError, type ValidationIssue } from '../errors.js';

/** Where `pgq generate` writes the manifest with its default config. */
export const DEFAULT_MANIFEST = 'src/pgq.manifest.json';

/** What the CLI reads of one job in `pgq.manifest.json`. */
export interface ManifestJob {
  fingerprint?: string;
  schedule?: string | null;
  options?: Record<string, unknown>;
  /** The schema file gives the job a group (its `group` function): an enqueue must name one. */
  grouped?: boolean;
  /** The payload's JSON Schema; null for a job declared without a payload. */
  payload?: Record<string, unknown> | null;
}

export interface Manifest {
  jobs: Record<string, ManifestJob>;
}

/** The manifest at `path`, or undefined when there is no such file (a project that never ran `pgq generate`). */
export function readManifest(path: string): Manifest | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: { jobs?: unknown };
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${path} is not a pgq manifest: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || (parsed.jobs !== undefined && (parsed.jobs === null || typeof parsed.jobs !== 'object'))) {
    throw new ConfigError(`${path} is not a pgq manifest: it has no "jobs" object`);
  }
  return { jobs: (parsed.jobs ?? {}) as Record<string, ManifestJob> };
}

/**
 * Checks a payload against a job's JSON Schema from the manifest, through zod (the
 * generator's own peer): the same rules the typed client applies, without loading the
 * user's schema file (TypeScript, their imports) into the CLI.
 */
export async function checkPayload(entrypoint: string, payload: unknown, schema: Record<string, unknown>): Promise<void> {
  let zod: typeof import('zod');
  try {
    zod = await import('zod');
  } catch {
    throw new ConfigError('checking a payload against the manifest needs the "zod" package: npm install zod');
  }
  const parsed = zod.fromJSONSchema(schema as never).safeParse(payload);
  if (parsed.success) return;
  const issues: ValidationIssue[] = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message, code: i.code }));
  throw new ValidationError(entrypoint, 'payload', issues);
}
