import { existsSync, readFileSync } from 'node:fs';
import { CodegenError } from './errors.js';
import type { JobInfo } from './load-schema.js';
import { compareSchemas, type JsonSchema, type SchemaChange } from './schema-compat.js';

/** What the gate reads of a manifest `pgq generate` wrote earlier. */
interface ManifestJob {
  fingerprint?: string;
  payload?: JsonSchema | null;
}

/** How one job's payload changed since the manifest it is compared with. */
export interface PayloadChanges {
  job: string;
  /** Fingerprint in the manifest: what queued jobs were written with. */
  from: string;
  /** Fingerprint of the schema file's payload now. */
  to: string;
  /**
   * The old shape is an entry of `previous` (this index): its jobs are parsed with it and
   * upcast, so its breaking changes strand nothing.
   */
  upcastFrom: number | undefined;
  changes: SchemaChange[];
}

/** A breaking change that no upcaster covers: queued jobs of the old shape would fail. */
export interface UncoveredChange extends SchemaChange {
  job: string;
}

/** The jobs of a manifest file; undefined when there is none yet (a first run). */
export function readManifestJobs(path: string): Record<string, ManifestJob> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { jobs?: Record<string, ManifestJob> };
    return manifest.jobs ?? {};
  } catch (err) {
    throw new CodegenError(`${path} is not a manifest \`pgq generate\` can read (${(err as Error).message}); restore it from version control or delete it`);
  }
}

/**
 * Each job whose payload fingerprint differs from the manifest's, with every change to its
 * JSON Schema. Jobs new in the schema file have nothing queued; jobs gone from it are the
 * caller's to report.
 */
export function payloadChanges(manifest: Record<string, ManifestJob>, jobs: readonly JobInfo[]): PayloadChanges[] {
  const out: PayloadChanges[] = [];
  for (const job of jobs) {
    const old = manifest[job.name];
    if (!old?.fingerprint || old.fingerprint === job.fingerprint || !job.payloadSchema) continue;
    const index = job.previous.findIndex((v) => v.fingerprint === old.fingerprint);
    out.push({
      job: job.name,
      from: old.fingerprint,
      to: job.fingerprint,
      upcastFrom: index >= 0 ? index : undefined,
      // A job that had no payload (a schedule) had no queued payloads to break.
      changes: old.payload ? compareSchemas(old.payload, job.payloadSchema) : [],
    });
  }
  return out;
}

export function uncovered(changes: readonly PayloadChanges[]): UncoveredChange[] {
  return changes.flatMap((job) =>
    job.upcastFrom !== undefined ? [] : job.changes.filter((c) => c.compatibility === 'breaking').map((c) => ({ ...c, job: job.job })),
  );
}
