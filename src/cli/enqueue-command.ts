import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError } from '../errors.js';
import type { EnqueueOptions } from '../types.js';
import { withQueue, type GlobalOptions } from './context.js';
import { checkPayload, DEFAULT_MANIFEST, readManifest, type ManifestJob } from './manifest.js';

interface EnqueueCliOptions {
  priority?: number;
  executeAfter?: number | Date;
  dedupeKey?: string;
  onConflict?: EnqueueOptions['onConflict'];
  group?: string;
  manifest: string;
}

/** The generated manifest's entry for a job that can be enqueued, if there is a manifest with that job. */
function manifestJob(path: string, entrypoint: string): ManifestJob | undefined {
  const job = readManifest(path)?.jobs[entrypoint];
  if (job?.schedule) throw new ConfigError(`"${entrypoint}" is a scheduled job (${path}): it runs on its schedule and cannot be enqueued`);
  return job;
}

export function registerEnqueueCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('enqueue')
    .description('enqueue one job; its payload is checked against the generated manifest when it has the job')
    .argument('<entrypoint>')
    .argument('[payload-json]', 'the payload, as JSON', '{}')
    .option('--priority <n>', 'higher runs first', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n)) throw new InvalidArgumentError(`"${v}" is not an integer`);
      return n;
    })
    .option('--execute-after <when>', 'milliseconds from now, or an ISO time', (v: string) => {
      if (/^\d+$/.test(v)) return Number(v);
      const at = new Date(v);
      if (Number.isNaN(at.getTime())) throw new InvalidArgumentError(`"${v}" is neither milliseconds nor an ISO time`);
      return at;
    })
    .option('--dedupe-key <key>', 'one live job per key')
    .option('--on-conflict <mode>', 'when the key is taken: error, skip or replace', (v: string) => {
      if (!['error', 'skip', 'replace'].includes(v)) throw new InvalidArgumentError(`"${v}" is not one of error, skip, replace`);
      return v;
    })
    .option('--group <key>', "the job's group, for the entrypoint's groupConcurrency")
    .option('--manifest <path>', 'the manifest `pgq generate` wrote ("" for none)', DEFAULT_MANIFEST)
    .action(async (entrypoint: string, payloadJson: string, opts: EnqueueCliOptions) => {
      let payload: unknown;
      try {
        payload = JSON.parse(payloadJson);
      } catch (err) {
        throw new ConfigError(`the payload is not JSON: ${(err as Error).message}`);
      }
      const job = opts.manifest ? manifestJob(opts.manifest, entrypoint) : undefined;
      const schema = job?.payload ?? undefined;
      if (schema) await checkPayload(entrypoint, payload, schema);
      if (job?.grouped && opts.group === undefined) {
        throw new ConfigError(`"${entrypoint}" is grouped by its schema's group function, which pgq enqueue cannot run: pass --group <key>`);
      }
      const options: EnqueueOptions = {};
      if (opts.priority !== undefined) options.priority = opts.priority;
      if (opts.executeAfter !== undefined) options.executeAfter = opts.executeAfter;
      if (opts.dedupeKey !== undefined) options.dedupeKey = opts.dedupeKey;
      if (opts.onConflict !== undefined) options.onConflict = opts.onConflict;
      if (opts.group !== undefined) options.group = opts.group;
      const id = await withQueue(globals(), (pgq) => pgq.enqueue(entrypoint, payload, options));
      console.log(`enqueued job ${id}${schema ? ' (payload checked against the manifest)' : ''}`);
    });
}
