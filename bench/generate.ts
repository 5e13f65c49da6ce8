/**
 * `npm run bench:generate`: how long `pgq generate` takes, cold (a fresh `node` process, start
 * to exit, as a user or CI runs it), on a 3-job and a 200-job schema, in a project where
 * `pgqueuer` is an installed package (node_modules/pgqueuer → this repository, built), and how
 * long `pgq generate --watch` takes to rewrite the client after the schema file changes.
 * Reports the median of several runs of each; timings are wall-clock, so run it on a quiet
 * machine (or say that it was not).
 *
 *   npm run bench:generate [-- --jobs=3,200 --runs=5 --no-watch --checker]
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const sizes = (arg('jobs') ?? '3,200').split(',').map(Number);
// --checker: also a 3-job schema whose first job has a transform, which only TypeScript's checker can print.
const checker = process.argv.includes('--checker');
const runs = Number(arg('runs') ?? 5);
// --no-watch: only the cold runs (for a pgq without --watch, e.g. to measure a baseline).
const watch = !process.argv.includes('--no-watch');

execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
const cli = join(root, 'dist/src/cli/main.js');

/** Every tenth job is scheduled; the others have a payload of common zod shapes, half a result. */
function schema(n: number, variant = 0, transform = false): string {
  const lines = ["import { z } from 'zod';", "import { defineJobs } from 'pgqueuer';", '', 'export default defineJobs({'];
  for (let i = 0; i < n; i++) {
    if (n >= 10 && i % 10 === 9) {
      lines.push(`  report${i}: { schedule: '${i % 60} 3 * * *', timezone: 'Europe/Berlin' },`);
      continue;
    }
    lines.push(`  job${i}: {`);
    if (transform && i === 0) lines.push(`    payload: z.object({ id: z.string().transform((s) => Number(s))${variant ? `, v${variant}: z.string()` : ''} }),`);
    else lines.push(`    payload: z.object({ id: z.number().int(), email: z.email(), tags: z.array(z.string()).default([]), kind: z.enum(['a', 'b', 'c']), meta: z.object({ source: z.string(), at: z.iso.datetime() }).optional()${i === 0 && variant ? `, v${variant}: z.string()` : ''} }),`);
    if (i % 2 === 0) lines.push(`    result: z.object({ ok: z.boolean(), count: z.number() }),`);
    lines.push(`    retry: { maxAttempts: ${1 + (i % 5)} },`);
    lines.push('  },');
  }
  lines.push('});', '');
  return lines.join('\n');
}

/** A throwaway app: its own node_modules with pgqueuer installed (a link to this repository). */
function project(jobs: number, transform: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgq-bench-generate-'));
  mkdirSync(join(dir, 'node_modules'));
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry !== '.bin') symlinkSync(join(root, 'node_modules', entry), join(dir, 'node_modules', entry));
  }
  symlinkSync(root, join(dir, 'node_modules/pgqueuer'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, noEmit: true } }));
  writeFileSync(join(dir, 'src/jobs.schema.ts'), schema(jobs, 0, transform));
  return dir;
}

function timed(dir: string, args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`pgq ${args.join(' ')} failed: ${result.stderr}`);
  return performance.now() - started;
}

/** Starts `pgq generate --watch`, then edits the schema `edits` times; each time, the ms until it reports the rewrite. */
async function watched(dir: string, jobs: number, transform: boolean, edits: number): Promise<number[]> {
  const child = spawn(process.execPath, [cli, 'generate', '--watch'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (pattern: RegExp): Promise<void> => {
    for (;;) {
      const line = await lines.next();
      if (line.done) throw new Error('pgq generate --watch ended');
      if (pattern.test(line.value)) return;
    }
  };
  try {
    await next(/^watching /);
    const times: number[] = [];
    for (let i = 1; i <= edits; i++) {
      const started = performance.now();
      writeFileSync(join(dir, 'src/jobs.schema.ts'), schema(jobs, i, transform));
      await next(/^wrote src\/pgq\.generated\.ts/);
      times.push(performance.now() - started);
    }
    return times;
  } finally {
    child.kill('SIGINT');
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const cases = [...sizes.map((jobs) => ({ jobs, transform: false })), ...(checker ? [{ jobs: 3, transform: true }] : [])];
for (const { jobs, transform } of cases) {
  const fresh: number[] = [];
  const check: number[] = [];
  let warm: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = project(jobs, transform);
    try {
      fresh.push(timed(dir, ['generate']));
      check.push(timed(dir, ['generate', '--check']));
      if (i === 0 && watch) warm = await watched(dir, jobs, transform, runs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const scheduled = jobs >= 10 ? Math.floor(jobs / 10) : 0;
  const what = transform ? ', the first with a transform (printed by the TypeScript checker)' : '';
  console.log(`pgq generate, ${jobs} jobs (${jobs - scheduled} with payloads, ${scheduled} scheduled${what}), median of ${runs}:`);
  console.log(`  first run, cold (writes client, manifest, ${jobs} stubs): ${seconds(median(fresh))}  [${fresh.map(seconds).join(', ')}]`);
  console.log(`  generate --check, cold (up to date):            ${seconds(median(check))}  [${check.map(seconds).join(', ')}]`);
  if (watch) console.log(`  generate --watch, schema edited → client rewritten: ${seconds(median(warm))}  [${warm.map(seconds).join(', ')}]`);
}
