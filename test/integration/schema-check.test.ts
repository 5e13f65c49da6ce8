import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { FINGERPRINT_HEADER, payloadFingerprint, type PgQueuer } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { makeProject, type Project } from '../support/project.js';
import { openQueue } from '../support/queue.js';

const V1 = z.object({ to: z.string(), subject: z.string() });
const V2 = z.object({ to: z.string(), subject: z.string(), locale: z.string() });
const schemaFile = (previous: string) => `import { z } from 'zod';
import { defineJobs } from 'pgqueuer';

export default defineJobs({
  sendEmail: {
    payload: z.object({ to: z.string(), subject: z.string(), locale: z.string() }),
    ${previous}
  },
  nightly: { schedule: '0 3 * * *' },
});
`;
const WITHOUT_UPCASTER = schemaFile('');
const WITH_UPCASTER = schemaFile(`previous: [{ payload: z.object({ to: z.string(), subject: z.string() }), upcast: (old) => ({ ...old, locale: 'en' }) }],`);

let db: TestDatabase;
let queue: PgQueuer;
let project: Project;
const stamp = (schema: z.ZodObject) => ({ headers: { [FINGERPRINT_HEADER]: payloadFingerprint(schema) } });

before(async () => {
  db = await createTestDatabase();
  queue = await openQueue(db.url);
  // Three jobs written by v1 producers (one deferred), two by v2 ones, one by hand-written SQL.
  for (const n of [1, 2]) await queue.enqueue('sendEmail', { to: `${n}@x`, subject: 's' }, stamp(V1));
  await queue.enqueue('sendEmail', { to: '3@x', subject: 's' }, { ...stamp(V1), executeAfter: 3_600_000 });
  for (const n of [4, 5]) await queue.enqueue('sendEmail', { to: `${n}@x`, subject: 's', locale: 'nl' }, stamp(V2));
  await queue.enqueue('sendEmail', { to: '6@x', subject: 's', locale: 'de' });
  project = makeProject({ 'src/jobs.schema.ts': WITHOUT_UPCASTER });
});
after(async () => {
  project.remove();
  await queue.stop();
  await db.drop();
});

describe('pgq schema check', () => {
  test('reports the waiting jobs of an old version a new schema would strand, and exits 1', async () => {
    project.write('src/jobs.schema.ts', WITHOUT_UPCASTER);
    const run = await project.pgq(['schema', 'check'], { DATABASE_URL: db.url });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /^sendEmail: 6 waiting \(current version [0-9a-f]{16}\)$/m);
    assert.match(run.stdout, new RegExp(`^  ${payloadFingerprint(V2)} \\(current\\): 2 queued$`, 'm'));
    assert.match(run.stdout, new RegExp(`^  ${payloadFingerprint(V1)} \\(unknown to this schema\\): 2 queued, 1 scheduled — 3 of 3 checked would fail$`, 'm'));
    assert.match(run.stdout, /^    job 1: locale: .*gives it back, then fails it\)$/m);
    assert.equal(run.stdout.match(/^    job \d+:/gm)?.length, 3, 'the first few failures');
    assert.match(run.stdout, /^  \(none\) \(no fingerprint: read as current\): 1 queued — all checked fit$/m);
    assert.match(run.stdout, /3 waiting jobs would fail with this schema: add their payload shape to "previous" with an upcaster/);
  });

  test('passes once the old shape is listed in previous with an upcaster', async () => {
    project.write('src/jobs.schema.ts', WITH_UPCASTER);
    const run = await project.pgq(['schema', 'check'], { DATABASE_URL: db.url });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, new RegExp(`^  ${payloadFingerprint(V1)} \\(previous\\[0\\], upcast\\): 2 queued, 1 scheduled — all checked fit$`, 'm'));
    assert.match(run.stdout, /every waiting job checked fits this schema/);
  });

  test('is bounded: a sample per version and a cap on counting, said in the output', async () => {
    project.write('src/jobs.schema.ts', WITHOUT_UPCASTER);
    const run = await project.pgq(['schema', 'check', '--sample', '1', '--cap', '4'], { DATABASE_URL: db.url });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^sendEmail: more than 4 waiting/m);
    assert.match(run.stdout, /1 of 1 checked would fail|1 of \d checked would fail/);
    assert.match(run.stdout, /\(a sample: at most 1 payloads checked per job and version, 4 waiting jobs counted per job\)/);
    const json = JSON.parse((await project.pgq(['schema', 'check', '--json'], { DATABASE_URL: db.url })).stdout);
    assert.equal(json.failing, 3);
  });
});
