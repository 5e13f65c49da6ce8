import { UnknownSchemaVersionError, ValidationError, type ValidationIssue } from '../errors.js';
import { internalsOf } from '../internals.js';
import type { PgQueuer } from '../pgqueuer.js';
import type { JobStatus } from '../types.js';
import type { JobsSchema } from './define-jobs.js';
import { fingerprint } from './json-schema.js';
import { readStoredPayload } from './read-payload.js';
import { previousVersions } from './versions.js';

export interface WaitingPayloadsOptions {
  /** Jobs counted per entrypoint at most (default 100,000): the rest are not read. */
  countCap?: number;
  /** Payloads parsed per entrypoint and version at most (default 1,000), oldest first. */
  sample?: number;
  /** Failures described per entrypoint and version (default 3). */
  examples?: number;
}

/** The waiting jobs of one entrypoint written with one payload version. */
export interface WaitingVersion {
  /** The fingerprint their producer stamped; null when none was (hand-written SQL). */
  fingerprint: string | null;
  /** How a worker with this schema reads them. */
  readAs: 'current' | { previous: number } | 'unknown' | 'unstamped';
  byStatus: Partial<Record<JobStatus, number>>;
  count: number;
  /** How many were parsed (jobs of the current version are not: they were checked at enqueue). */
  checked: number;
  /** Of those checked, how many a worker with this schema would fail (or give back, then fail). */
  failing: number;
  /** The first few failures. */
  examples: Array<{ jobId: number; issues: readonly ValidationIssue[]; unknownVersion: boolean }>;
}

export interface WaitingEntrypoint {
  entrypoint: string;
  fingerprint: string;
  versions: WaitingVersion[];
  /** More jobs are waiting than were counted (`countCap`). */
  capped: boolean;
}

export interface WaitingPayloadsReport {
  entrypoints: WaitingEntrypoint[];
  countCap: number;
  sample: number;
  /** Jobs checked that would fail, over every entrypoint. */
  failing: number;
  /** Some version had more jobs than were checked: `failing` is from a sample. */
  sampled: boolean;
}

/**
 * `pgq schema check`: would workers built with `schema` run the jobs waiting now? For each
 * entrypoint of the schema, counts its waiting jobs (every live status but running) by the
 * payload version their producer stamped, and parses those of other versions the way such a
 * worker will (that version's schema, the upcasters, the current schema). Bounded: counting
 * stops at `countCap` jobs per entrypoint, parsing at `sample` per version.
 */
export async function checkWaitingPayloads(pgq: PgQueuer, schema: JobsSchema, options: WaitingPayloadsOptions = {}): Promise<WaitingPayloadsReport> {
  const countCap = options.countCap ?? 100_000;
  const sample = options.sample ?? 1_000;
  const examples = options.examples ?? 3;
  const internals = internalsOf(pgq);
  const jobs = Object.entries(schema.jobs).filter(([, def]) => def.payload !== undefined);
  const { counts, capped } = await internals.payloadVersions({ entrypoints: jobs.map(([name]) => name), countCap });

  const entrypoints: WaitingEntrypoint[] = jobs.map(([name, def]) => {
    const current = fingerprint(def);
    const versions = new Map<string | null, WaitingVersion>();
    for (const row of counts.filter((c) => c.entrypoint === name)) {
      let version = versions.get(row.fingerprint);
      if (!version) {
        const previous = previousVersions(def).find((v) => v.fingerprint === row.fingerprint);
        const readAs: WaitingVersion['readAs'] =
          row.fingerprint === null ? 'unstamped' : row.fingerprint === current ? 'current' : previous ? { previous: previous.index } : 'unknown';
        version = { fingerprint: row.fingerprint, readAs, byStatus: {}, count: 0, checked: 0, failing: 0, examples: [] };
        versions.set(row.fingerprint, version);
      }
      version.byStatus[row.status] = (version.byStatus[row.status] ?? 0) + row.count;
      version.count += row.count;
    }
    return { entrypoint: name, fingerprint: current, versions: [...versions.values()], capped: capped.includes(name) };
  });

  const toCheck = entrypoints.flatMap((e) => e.versions.filter((v) => v.readAs !== 'current').map((v) => ({ entrypoint: e.entrypoint, fingerprint: v.fingerprint })));
  const samples = await internals.payloadSamples({ versions: toCheck, sample });
  let failing = 0;
  for (const job of samples) {
    const entry = entrypoints.find((e) => e.entrypoint === job.entrypoint)!;
    const version = entry.versions.find((v) => v.fingerprint === job.fingerprint)!;
    version.checked++;
    try {
      readStoredPayload(job.entrypoint, schema.jobs[job.entrypoint]!, job.payload, job.fingerprint ?? undefined, job.id);
    } catch (err) {
      if (!(err instanceof ValidationError) && !(err instanceof UnknownSchemaVersionError)) {
        // An upcaster that throws fails the job in the worker too.
        const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        record(version, { jobId: job.id, issues: [{ path: '', message: `the upcaster threw ${message}`, code: 'upcast' }], unknownVersion: false }, examples);
      } else {
        record(version, { jobId: job.id, issues: err.issues, unknownVersion: err instanceof UnknownSchemaVersionError }, examples);
      }
      failing++;
    }
  }
  const sampled = entrypoints.some((e) => e.capped || e.versions.some((v) => v.readAs !== 'current' && v.checked < v.count));
  return { entrypoints, countCap, sample, failing, sampled };
}

function record(version: WaitingVersion, example: WaitingVersion['examples'][number], max: number): void {
  version.failing++;
  if (version.examples.length < max) version.examples.push(example);
}
