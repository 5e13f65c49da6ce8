import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { makeProject, repoRoot, type Project } from '../support/project.js';
import { deferred, within } from '../support/wait.js';

const SHAPES = `import { z } from 'zod';
export const address = z.object({ street: z.string() });
`;
const SCHEMA = `import { z } from 'zod';
import { defineJobs } from 'pgqueuer';
import { address } from './shapes.js';

export default defineJobs({
  sendEmail: { payload: z.object({ to: z.email(), subject: z.string() }) },
  ship: { payload: z.object({ to: address }) },
});
`;

const projects: Project[] = [];
after(() => projects.forEach((p) => p.remove()));

/** `pgq generate --watch` in `dir`, its output lines awaitable (already printed or still to come). */
function watching(dir: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'generate', '--watch'], { cwd: dir });
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; from: number; resolve: (line: string) => void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      const line = lines.slice(w.from).find((l) => w.pattern.test(l));
      if (line === undefined) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  };
  const seen = (line: string) => {
    lines.push(line);
    check();
  };
  createInterface({ input: child.stdout }).on('line', seen);
  createInterface({ input: child.stderr }).on('line', seen);
  const exited = deferred<number | null>();
  child.on('exit', (code) => exited.resolve(code));
  return {
    lines,
    /** The next line (from now on, or from line `from`) matching `pattern`. */
    next(pattern: RegExp, what: string, from = lines.length): Promise<string> {
      const d = deferred<string>();
      waiters.push({ pattern, from, resolve: d.resolve });
      check();
      return within(d.promise, 120_000, what).catch((err: Error) => {
        throw new Error(`${err.message}; output so far:\n${lines.join('\n')}`);
      });
    },
    stop: async () => {
      child.kill('SIGINT');
      return within(exited.promise, 30_000, 'pgq generate --watch to exit');
    },
  };
}

test('pgq generate --watch regenerates on an edit of the schema or a file it imports, survives a broken schema, and stops on Ctrl-C', { timeout: 600_000 }, async () => {
  const p = makeProject({ 'src/jobs.schema.ts': SCHEMA, 'src/shapes.ts': SHAPES });
  projects.push(p);
  const pgq = watching(p.dir);
  let stopped = false;
  try {
    await pgq.next(/^watching src\/jobs\.schema\.ts and 1 more file/, 'the first run', 0);
    assert.ok(pgq.lines.includes('wrote src/pgq.generated.ts'));

    let mark = pgq.lines.length;
    p.write('src/jobs.schema.ts', SCHEMA.replace('subject: z.string()', 'subject: z.string(), cc: z.email().optional()'));
    await pgq.next(/^jobs changed: sendEmail \(\d+ ms\)$/, 'the edit to be reported', mark);
    assert.ok(pgq.lines.slice(mark).includes('changed: src/jobs.schema.ts'));
    assert.ok(pgq.lines.slice(mark).includes('wrote src/pgq.generated.ts'));
    assert.match(p.read('src/pgq.generated.ts'), /cc\?: string;/);

    mark = pgq.lines.length;
    p.write('src/shapes.ts', SHAPES.replace('street: z.string()', 'street: z.string(), city: z.string()'));
    await pgq.next(/^jobs changed: ship \(\d+ ms\)$/, 'the imported file\'s edit to be reported', mark);
    assert.match(p.read('src/pgq.generated.ts'), /to: \{ street: string; city: string; \};/);

    mark = pgq.lines.length;
    const before = p.read('src/pgq.generated.ts');
    p.write('src/jobs.schema.ts', `${SCHEMA}\nexport const oops = (;\n`);
    await pgq.next(/^pgq: loading src\/jobs\.schema\.ts failed: .*jobs\.schema\.ts:\d+: /, 'the syntax error to be reported', mark);
    await pgq.next(/^still watching/, 'the watch to go on', mark);
    assert.equal(p.read('src/pgq.generated.ts'), before, 'a broken schema leaves the generated files alone');

    mark = pgq.lines.length;
    p.write('src/jobs.schema.ts', SCHEMA.replace('  ship:', "  report: { schedule: '0 25 * * *' },\n  ship:"));
    await pgq.next(/^pgq: .*job "report": invalid cron expression/, 'the bad definition to be reported', mark);

    mark = pgq.lines.length;
    p.write('src/jobs.schema.ts', SCHEMA.replace("  ship:", "  audit: { payload: z.object({ what: z.string() }) },\n  ship:"));
    // Compared with the last good run: sendEmail lost cc, ship is as it was.
    await pgq.next(/^jobs changed: sendEmail; added: audit \(\d+ ms\)$/, 'the fix to be picked up', mark);
    assert.ok(pgq.lines.slice(mark).includes('created src/handlers/audit.ts'));
    assert.match(p.read('src/pgq.generated.ts'), /export interface AuditPayload/);

    // A transform's output type takes the checker; its project is kept between runs and must see each edit.
    const withTransform = (to: string) => SCHEMA.replace('  ship:', `  count: { payload: z.object({ n: z.string().transform((s) => ${to}) }) },\n  ship:`);
    mark = pgq.lines.length;
    p.write('src/jobs.schema.ts', withTransform('s.length'));
    await pgq.next(/^added: count; removed: audit \(\d+ ms\)$/, 'the transform job', mark);
    assert.match(p.read('src/pgq.generated.ts'), /export interface CountParsed \{\n  n: number;\n\}/);
    mark = pgq.lines.length;
    p.write('src/jobs.schema.ts', withTransform('[s]'));
    await pgq.next(/^jobs changed: count \(\d+ ms\)$/, 'the transform\'s edit', mark);
    assert.match(p.read('src/pgq.generated.ts'), /export interface CountParsed \{\n  n: string\[\];\n\}/);
    stopped = true;
    assert.equal(await pgq.stop(), 0, 'Ctrl-C ends the watch with status 0');
  } finally {
    if (!stopped) await pgq.stop();
  }
});
