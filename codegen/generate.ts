import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { resolveConfig, type GenerateFlags } from './config.js';
import { CodegenError } from './errors.js';
import { loadSchema } from './load-schema.js';
import { payloadChanges, readManifestJobs, uncovered, type PayloadChanges, type UncoveredChange } from './payload-gate.js';
import { manifestEntry, renderClient, renderHandlersIndex, renderManifest, renderStub } from './render.js';
import { printTypes } from './print-types.js';

export { CodegenError } from './errors.js';

export interface GenerateOptions extends GenerateFlags {
  /** Compare instead of writing: report what is out of date. */
  check?: boolean;
  /**
   * The manifest to compare payloads with (default: the one being written, as it is before
   * this run). In CI, the base branch's: what the deployed producers wrote.
   */
  base?: string;
  cwd?: string;
}

export interface GenerateReport {
  /** Files written (or, with `check`, that would be written): relative to the working directory. */
  changed: string[];
  unchanged: string[];
  /** Handler stubs (and the handlers index) created because they were missing. */
  created: string[];
  /** Things to do by hand, e.g. an export missing from an existing handlers index. */
  hints: string[];
  /** Payloads changed since the manifest compared with, each change judged for queued jobs. */
  payloadChanges: PayloadChanges[];
  /** The breaking changes no upcaster covers: `--check` fails on these. */
  breaking: UncoveredChange[];
  /** Jobs in the manifest compared with that the schema no longer has. */
  removedJobs: string[];
  /** The files this run read (config, schema and the project files it imports), absolute: what --watch follows. */
  inputs: string[];
  /** Each job's generated types and manifest entry, as one string: --watch compares them to say which jobs changed. */
  jobs: Map<string, string>;
}

/**
 * `pgq generate`: schema file → typed client, manifest, and handler stubs. Output depends on
 * the schema alone (no timestamps, declaration order kept), so a second run writes identical
 * bytes and `--check` can compare.
 */
export async function generate(options: GenerateOptions = {}): Promise<GenerateReport> {
  const cwd = options.cwd ?? process.cwd();
  const config = await resolveConfig(options, cwd);
  const { jobs, inputs, packages } = await loadSchema(config.schema, cwd);
  const { types } = await printTypes({ schemaPath: config.schema, inputs, packages }, jobs);
  const shown = (path: string) => relative(cwd, path).replaceAll('\\', '/') || path;

  // Owned files are rewritten whenever they differ; user files only created when missing.
  const owned = new Map<string, string>([
    [config.out, renderClient(config, jobs, types)],
    [config.manifest, renderManifest(config, jobs)],
  ]);
  const missing = new Map<string, string>();
  for (const job of jobs) {
    const file = join(config.handlers, `${job.name}.ts`);
    if (!existsSync(file)) missing.set(file, renderStub(config, job, file));
  }
  const index = join(config.handlers, 'index.ts');
  // Compared before anything is written: the manifest on disk is what queued jobs were written with.
  const base = options.base === undefined ? config.manifest : resolve(cwd, options.base);
  const before = readManifestJobs(base);
  if (before === undefined && options.base !== undefined) throw new CodegenError(`--base ${options.base}: no such manifest`);
  const changes = before ? payloadChanges(before, jobs) : [];
  const report: GenerateReport = {
    changed: [],
    unchanged: [],
    created: [],
    hints: [],
    payloadChanges: changes,
    breaking: uncovered(changes),
    removedJobs: before ? Object.keys(before).filter((name) => !jobs.some((j) => j.name === name)) : [],
    inputs: [...(config.file ? [config.file] : []), ...inputs],
    jobs: new Map(jobs.map((job) => [job.name, JSON.stringify([types.get(job.name) ?? null, manifestEntry(job)])])),
  };
  if (!existsSync(index)) {
    missing.set(index, renderHandlersIndex(jobs));
  } else {
    const text = readFileSync(index, 'utf8');
    for (const job of jobs) {
      if (!new RegExp(`\\b${job.name}\\b`).test(text)) {
        report.hints.push(`${shown(index)} does not export "${job.name}": add export { ${job.name} } from './${job.name}.js';`);
      }
    }
  }

  for (const [path, content] of owned) {
    const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (current === content) {
      report.unchanged.push(shown(path));
      continue;
    }
    report.changed.push(shown(path));
    if (!options.check) write(path, content);
  }
  for (const [path, content] of missing) {
    report.created.push(shown(path));
    if (!options.check) write(path, content);
  }
  return report;
}

function write(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}
