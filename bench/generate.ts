/**
 * `npm run bench:generate`: how long `pgq generate` takes on a schema with N jobs (default
 * 200), in a project that resolves `pgqueuer` to its built type declarations, as an installed
 * package would. Runs the CLI as a user does (a fresh process each time) and reports the
 * median of several runs: first run (everything written) and up-to-date check.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const jobs = Number(process.argv.find((a) => a.startsWith('--jobs='))?.slice(7) ?? 200);
const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 3);

execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
const cli = join(root, 'dist/src/cli/main.js');

function schema(n: number): string {
  const lines = ["import { z } from 'zod';", "import { defineJobs } from 'pgqueuer';", '', 'export default defineJobs({'];
  for (let i = 0; i < n; i++) {
    if (i % 10 === 9) {
      lines.push(`  report${i}: { schedule: '${i % 60} 3 * * *', timezone: 'Europe/Berlin' },`);
      continue;
    }
    lines.push(`  job${i}: {`);
    lines.push(`    payload: z.object({ id: z.number().int(), email: z.email(), tags: z.array(z.string()).default([]), kind: z.enum(['a', 'b', 'c']), meta: z.object({ source: z.string(), at: z.iso.datetime() }).optional() }),`);
    if (i % 2 === 0) lines.push(`    result: z.object({ ok: z.boolean(), count: z.number() }),`);
    lines.push(`    retry: { maxAttempts: ${1 + (i % 5)} },`);
    lines.push('  },');
  }
  lines.push('});', '');
  return lines.join('\n');
}

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgq-bench-generate-'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, noEmit: true, paths: { pgqueuer: [join(root, 'dist/src/index.d.ts')] } },
    }),
  );
  writeFileSync(join(dir, 'src/jobs.schema.ts'), schema(jobs));
  return dir;
}

function timed(dir: string, args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`pgq ${args.join(' ')} failed: ${result.stderr}`);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fresh: number[] = [];
const check: number[] = [];
for (let i = 0; i < runs; i++) {
  const dir = project();
  try {
    fresh.push(timed(dir, ['generate']));
    check.push(timed(dir, ['generate', '--check']));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`pgq generate, ${jobs} jobs (${jobs - Math.floor(jobs / 10)} with payloads, ${Math.floor(jobs / 10)} scheduled), median of ${runs}:`);
console.log(`  first run (writes client, manifest, ${jobs} stubs): ${(median(fresh) / 1000).toFixed(2)} s`);
console.log(`  generate --check (up to date):                  ${(median(check) / 1000).toFixed(2)} s`);
