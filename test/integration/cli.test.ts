import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runPgq } from '../support/pgq-cli.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

/** `pgq <args>` against this file's database (the CLI from source, bundled: bundle.ts). */
const pgq = (args: string[], env: Record<string, string | undefined> = {}) => runPgq(db.url, args, env);

describe('pgq', () => {
  test('install, verify, queue, cancel, uninstall on a fresh database', async () => {
    const notYet = await pgq(['verify']);
    assert.equal(notYet.code, 1);
    assert.match(notYet.stderr, /schema "pgqueuer" does not exist: run `pgq install`/);

    const installed = await pgq(['install']);
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout, /installed schema "pgqueuer": applied migration 1, 2, 3, 4, 5, 6, 7, 8; now at 8/);
    assert.match((await pgq(['install'])).stdout, /is up to date/);
    assert.match((await pgq(['upgrade'])).stdout, /is up to date/);
    assert.equal((await pgq(['verify'])).code, 0);

    await db.pool.query(`INSERT INTO pgqueuer.jobs (entrypoint, priority) VALUES ('email', 0), ('email', 0), ('resize', 5)`);
    const table = await pgq(['queue']);
    assert.equal(table.code, 0);
    assert.deepEqual(table.stdout.trim().split('\n').map((l) => l.split(/\s+/)), [
      ['entrypoint', 'status', 'priority', 'count'],
      ['email', 'queued', '0', '2'],
      ['resize', 'queued', '5', '1'],
    ]);
    const json = JSON.parse((await pgq(['queue', '--json'])).stdout);
    assert.deepEqual(json, [
      { entrypoint: 'email', status: 'queued', priority: 0, count: 2, paused: false },
      { entrypoint: 'resize', status: 'queued', priority: 5, count: 1, paused: false },
    ]);

    // An id that finds nothing: the rest is still canceled, and the verdict is exit 1.
    const canceled = await pgq(['cancel', '1', '404']);
    assert.equal(canceled.code, 1);
    assert.equal(canceled.stdout, 'canceled 1 job(s): 1\n');
    assert.equal(canceled.stderr, 'pgq: no job 404 (never enqueued, or finished and pruned)\n');

    await db.pool.query('DROP INDEX pgqueuer.jobs_picked_idx');
    const broken = await pgq(['verify']);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /index pgqueuer\.jobs_picked_idx is missing: run `pgq upgrade`/);
    // upgrade makes again what verify found missing, without touching the jobs.
    await db.pool.query('ALTER TABLE pgqueuer.jobs DISABLE TRIGGER jobs_notify_enqueued');
    const repaired = await pgq(['upgrade']);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stdout, /re-created index pgqueuer\.jobs_picked_idx, which was missing/);
    assert.match(repaired.stdout, /re-created trigger pgqueuer\.jobs_notify_enqueued, which was missing/);
    assert.equal((await pgq(['verify'])).code, 0);
    assert.equal(Number((await db.pool.query('SELECT count(*) AS n FROM pgqueuer.jobs')).rows[0].n), 2, 'the jobs are still there');

    assert.equal((await pgq(['uninstall', '--yes'])).code, 0);
    const gone = await pgq(['queue']);
    assert.equal(gone.code, 2);
    assert.equal(gone.stderr.trim(), 'pgq: pgqueuer is not installed in schema "pgqueuer": run `npx pgq install`');
  });

  test('schedules lists name, expression, timezone, last and next run', async () => {
    assert.equal((await pgq(['--schema-name', 'cron_cli', 'install'])).code, 0);
    await db.pool.query(`INSERT INTO cron_cli.schedules (name, expression, timezone, next_run, last_run)
      VALUES ('nightly', '0 3 * * *', 'Europe/Paris', '2026-12-01T02:00:00Z', '2026-11-30T02:00:00Z')`);
    const table = await pgq(['--schema-name', 'cron_cli', 'schedules']);
    assert.equal(table.code, 0, table.stderr);
    assert.deepEqual(table.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/)), [
      ['name', 'expression', 'timezone', 'last run', 'next run', 'missed'],
      ['nightly', '0 3 * * *', 'Europe/Paris', '2026-11-30T02:00:00.000Z', '2026-12-01T02:00:00.000Z', 'once'],
    ]);
    const [row] = JSON.parse((await pgq(['--schema-name', 'cron_cli', 'schedules', '--json'])).stdout);
    assert.equal(row.name, 'nightly');
    assert.equal(row.nextRun, '2026-12-01T02:00:00.000Z');
  });

  test('--schema-name and PGQ_SCHEMA select the schema', async () => {
    assert.equal((await pgq(['--schema-name', 'tenant_a', 'install'])).code, 0);
    assert.equal((await pgq(['verify'], { PGQ_SCHEMA: 'tenant_a' })).code, 0);
    assert.equal((await pgq(['verify'], { PGQ_SCHEMA: 'tenant_b' })).code, 1);
  });

  test('errors are one line on stderr and exit 2', async () => {
    const unreachable = await pgq(['queue'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    assert.equal(unreachable.code, 2);
    assert.equal(unreachable.stderr.trim().split('\n').length, 1);
    assert.match(unreachable.stderr, /^pgq: cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/none/);

    const badId = await pgq(['cancel', 'abc']);
    assert.equal(badId.code, 2);
    assert.match(badId.stderr, /"abc" is not a job id/);

    assert.equal((await pgq(['no-such-command'])).code, 2);
    assert.equal((await pgq(['--schema-name', 'public', 'install'])).code, 2);
  });

  test('every command has --help', async () => {
    for (const command of ['install', 'upgrade', 'uninstall', 'verify', 'queue', 'cancel', 'schedules', 'generate', 'init', 'run', 'dev']) {
      const help = await pgq([command, '--help']);
      assert.equal(help.code, 0, command);
      assert.match(help.stdout, new RegExp(`Usage: pgq ${command}`));
    }
  });
});
