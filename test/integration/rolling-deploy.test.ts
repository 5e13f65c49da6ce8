/**
 * A rolling deploy with real processes: v1 producers and workers run; v2 producers and
 * workers (one field added, with an upcaster) start while the v1 ones still run; the v1
 * workers stop. Every job of both versions runs exactly once and succeeds: v1 workers give
 * back the v2 jobs they cannot read, v2 workers upcast the v1 jobs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnTs, type Child } from '../support/child.js';
import { db, producer, useFileDatabase } from '../support/file-database.js';
import { within } from '../support/wait.js';

const app = fileURLToPath(new URL('../fixtures/versioned-app.ts', import.meta.url));
useFileDatabase();

test('rolling deploy: every job of both versions runs exactly once, successfully; none failed or stranded', { timeout: 180_000 }, async () => {
  const children: Child[] = [];
  const start = (role: 'producer' | 'worker', version: 'v1' | 'v2', extra: Record<string, string> = {}) => {
    const child = spawnTs(app, { DATABASE_URL: db.url, APP_ROLE: role, APP_VERSION: version, ...extra });
    children.push(child);
    return child;
  };
  const enqueued = (child: Child) => child.lines.filter((l) => l.startsWith('enqueued ')).map((l) => Number(l.split(' ')[1]));
  try {
    const w1 = start('worker', 'v1');
    await within(w1.line(/^ready$/), 30_000, 'the v1 worker');
    const p1 = start('producer', 'v1', { APP_JOBS: '40', APP_EVERY_MS: '25' });
    await within(w1.line(/^ran /), 30_000, 'a v1 job run by the v1 worker');

    // v2 producers first: the v1 worker meets their jobs, cannot read them and gives them back.
    const p2 = start('producer', 'v2', { APP_JOBS: '40', APP_EVERY_MS: '25' });
    await within(w1.line(/^warn .*different schema version/), 30_000, 'the v1 worker meeting a v2 job');
    const w2 = start('worker', 'v2');
    await within(w2.line(/^ready$/), 30_000, 'the v2 worker');
    await within(Promise.all([p1.line(/^produced$/), p2.line(/^produced$/)]), 60_000, 'both producers');

    // The v1 worker leaves; whatever it gave back, the v2 worker runs.
    w1.process.kill('SIGTERM');
    await within(w1.line(/^stopped$/), 30_000, 'the v1 worker to stop');
    const v1Jobs = enqueued(p1);
    const v2Jobs = enqueued(p2);
    assert.equal(v1Jobs.length, 40);
    assert.equal(v2Jobs.length, 40);
    const outcomes = await within(producer.waitForAll([...v1Jobs, ...v2Jobs]), 90_000, 'every job to finish');
    assert.deepEqual(outcomes.filter((o) => o.status !== 'successful'), [], 'none failed');
    assert.deepEqual(await producer.queueSize(), [], 'none stranded');

    // Exactly once: one "ran" line per job, across both workers.
    const runs = new Map<number, Array<{ by: string; payload: Record<string, unknown> }>>();
    for (const [by, worker] of [['v1', w1], ['v2', w2]] as const) {
      for (const line of worker.lines.filter((l) => l.startsWith('ran '))) {
        const [, id, json] = /^ran (\d+) (.*)$/.exec(line)!;
        runs.set(Number(id), [...(runs.get(Number(id)) ?? []), { by, payload: JSON.parse(json!) }]);
      }
    }
    for (const id of [...v1Jobs, ...v2Jobs]) assert.equal(runs.get(id)?.length, 1, `job ${id} ran ${runs.get(id)?.length ?? 0} times`);
    // v2 jobs only where they can be read; v1 jobs that reached the v2 worker were upcast.
    assert.ok(v2Jobs.every((id) => runs.get(id)![0]!.by === 'v2' && runs.get(id)![0]!.payload.locale === 'nl'));
    for (const id of v1Jobs) {
      const [run] = runs.get(id)!;
      assert.deepEqual(Object.keys(run!.payload).sort(), run!.by === 'v1' ? ['subject', 'to'] : ['locale', 'subject', 'to']);
      if (run!.by === 'v2') assert.equal(run!.payload.locale, 'en');
    }
    // The give-backs are in the history, and cost no attempt of the retry budget.
    const givenBack = await db.pool.query(`SELECT count(DISTINCT job_id)::int AS n FROM pgqueuer.job_log WHERE status = 'snoozed' AND entrypoint = 'sendEmail'`);
    assert.ok(givenBack.rows[0].n >= 1, 'the v1 worker gave back at least one v2 job');
  } finally {
    for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGTERM');
    await Promise.all(children.map((c) => c.exited));
  }
});
