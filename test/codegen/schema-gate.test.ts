import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { makeProject, type Project } from '../support/project.js';

const schema = (body: string) => `import { z } from 'zod';
import { defineJobs } from 'pgqueuer';

export default defineJobs({
${body}
  nightly: { schedule: '0 3 * * *' },
});
`;
const V1 = schema(`  sendEmail: { payload: z.object({ to: z.string(), subject: z.string() }) },`);
const BREAKING = schema(`  sendEmail: { payload: z.object({ to: z.string(), subject: z.string(), locale: z.string() }) },`);
const UPCAST = schema(`  sendEmail: {
    payload: z.object({ to: z.string(), subject: z.string(), locale: z.string() }),
    previous: [{ payload: z.object({ to: z.string(), subject: z.string() }), upcast: (old) => ({ ...old, locale: 'en' }) }],
  },`);
const COMPATIBLE = schema(`  sendEmail: { payload: z.object({ to: z.string(), subject: z.string(), locale: z.string().default('en') }) },`);

const projects: Project[] = [];
after(() => projects.forEach((p) => p.remove()));

/** A project generated at v1, its manifest kept as base.json (what the deployed producers wrote). */
async function atV1(): Promise<Project> {
  const p = makeProject({ 'src/jobs.schema.ts': V1 });
  projects.push(p);
  assert.equal((await p.pgq(['generate'])).code, 0);
  p.write('base.json', p.read('src/pgq.manifest.json'));
  return p;
}

describe('pgq generate: the breaking-change gate', () => {
  test('a required field added without a default: --check fails naming the job and the field', async () => {
    const p = await atV1();
    p.write('src/jobs.schema.ts', BREAKING);
    const check = await p.pgq(['generate', '--check']);
    assert.equal(check.code, 1);
    assert.match(check.stdout, /payload of "sendEmail" changed \([0-9a-f]{16} → [0-9a-f]{16}\)\n  locale: required field added without a default \(BREAKING\)/);
    assert.match(check.stderr, /breaking change in job "sendEmail", field "locale": required field added without a default/);
    assert.match(check.stderr, /list the old payload in "previous" with an upcaster/);

    // Written anyway, with a warning; against the base branch's manifest the gate still holds.
    const write = await p.pgq(['generate']);
    assert.equal(write.code, 0);
    assert.match(write.stderr, /warning: breaking change in job "sendEmail", field "locale"/);
    assert.equal((await p.pgq(['generate', '--check'])).code, 0, 'compared with the manifest just written: nothing changed');
    const ci = await p.pgq(['generate', '--check', '--base', 'base.json']);
    assert.equal(ci.code, 1);
    assert.match(ci.stderr, /breaking change in job "sendEmail", field "locale"/);
  });

  test('the same change with an upcaster from the old shape passes, saying the old jobs are upcast', async () => {
    const p = await atV1();
    p.write('src/jobs.schema.ts', UPCAST);
    assert.equal((await p.pgq(['generate'])).code, 0);
    const ci = await p.pgq(['generate', '--check', '--base', 'base.json']);
    assert.equal(ci.code, 0, ci.stderr);
    assert.match(ci.stdout, /payload of "sendEmail" changed .*; jobs of the old shape are upcast \(previous\[0\]\)/);
    assert.match(ci.stdout, /locale: required field added without a default \(breaking, covered by the upcaster\)/);
  });

  test('a compatible change passes and is reported', async () => {
    const p = await atV1();
    p.write('src/jobs.schema.ts', COMPATIBLE);
    assert.equal((await p.pgq(['generate'])).code, 0);
    const ci = await p.pgq(['generate', '--check', '--base', 'base.json']);
    assert.equal(ci.code, 0, ci.stderr);
    assert.match(ci.stdout, /locale: field added, with a default \(compatible\)/);
  });

  test('--base naming no file is a clear error', async () => {
    const p = await atV1();
    const run = await p.pgq(['generate', '--check', '--base', 'nope.json']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--base nope\.json: no such manifest/);
  });
});
