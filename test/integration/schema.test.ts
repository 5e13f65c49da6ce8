import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { install, PgQueuer, SchemaNotInstalledError, SchemaVersionError, uninstall, verify, ConfigError } from '../../src/index.js';
import { MIGRATIONS } from '../../src/postgres/migrations/index.js';
import { claimJobsV6 } from '../../src/postgres/migrations/006-claim-jobs.js';
import { schemaNames } from '../../src/postgres/schema-names.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { openQueue, startWorker } from '../support/queue.js';
import { deferred, within } from '../support/wait.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

/** Migration 7's objects on the jobs table, undone: the install as the release before left it. */
function withoutGroupTurns(schema: string): string {
  return `DROP TRIGGER jobs_group_turn ON ${schema}.jobs;
      DROP TRIGGER jobs_group_turn_changed ON ${schema}.jobs;
      DROP FUNCTION ${schema}.assign_group_turn();
      DROP INDEX ${schema}.jobs_turn_idx;
      ALTER TABLE ${schema}.jobs DROP COLUMN group_turn;`;
}

describe('install, verify, uninstall', () => {
  test('install is idempotent and records each migration once', async () => {
    const first = await install(db.url, { schema: 'idem' });
    const second = await install(db.url, { schema: 'idem' });
    assert.deepEqual(first.applied, MIGRATIONS.map((m) => m.version));
    assert.deepEqual(second.applied, []);
    const { rows } = await db.pool.query('SELECT version, name FROM idem.migrations ORDER BY version');
    assert.deepEqual(rows, MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  });

  test('ten concurrent installs are serialised: one applies, all succeed', async () => {
    const reports = await Promise.all(Array.from({ length: 10 }, () => install(db.url, { schema: 'race' })));
    assert.equal(reports.filter((r) => r.applied.length > 0).length, 1);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM race.migrations');
    assert.equal(rows[0].n, MIGRATIONS.length);
    assert.equal((await verify(db.url, { schema: 'race' })).ok, true);
  });

  test('verify names a missing schema, a missing index, an unapplied migration', async () => {
    const missing = await verify(db.url, { schema: 'nothing_here' });
    assert.equal(missing.ok, false);
    assert.match(missing.problems[0]!, /schema "nothing_here" does not exist/);

    await install(db.url, { schema: 'damaged' });
    await db.pool.query('DROP INDEX damaged.jobs_queued_idx');
    await db.pool.query('DROP FUNCTION damaged.claim_jobs(uuid, text[], integer[], double precision[], double precision[], integer, boolean)');
    await db.pool.query('DELETE FROM damaged.migrations');
    await db.pool.query(`INSERT INTO damaged.migrations (version, name, checksum) VALUES (0, 'placeholder', 'x')`);
    const report = await verify(db.url, { schema: 'damaged' });
    assert.equal(report.ok, false);
    assert.ok(report.problems.some((p) => /migration 1 \(initial\) is not applied/.test(p)), report.problems.join('\n'));
    assert.ok(report.problems.some((p) => /index damaged\.jobs_queued_idx is missing/.test(p)), report.problems.join('\n'));
    assert.ok(report.problems.some((p) => /function damaged\.claim_jobs\(.*\) is missing/.test(p)), report.problems.join('\n'));
  });

  test('verify notices a disabled NOTIFY trigger', async () => {
    await install(db.url, { schema: 'notrigger' });
    await db.pool.query('ALTER TABLE notrigger.jobs DISABLE TRIGGER jobs_notify_enqueued');
    const report = await verify(db.url, { schema: 'notrigger' });
    assert.deepEqual(report.problems, ['trigger notrigger.jobs_notify_enqueued is missing or disabled: run `pgq upgrade`']);
  });

  test('an older install is refused on connect until upgraded; upgrade applies only what is missing', async () => {
    await install(db.url, { schema: 'older' });
    // Roll the install back to migration 2, as the previous pgqueuer left it.
    await db.pool.query(`
      ${withoutGroupTurns('older')}
      DROP TRIGGER jobs_release_children ON older.jobs;
      DROP FUNCTION older.release_children(), older.enqueue_after(json);
      DROP INDEX older.jobs_blocked_idx;
      ALTER TABLE older.jobs DROP COLUMN snoozes, DROP COLUMN error, DROP COLUMN dedupe_window_ms, DROP COLUMN requeued_from,
        DROP COLUMN parents, DROP COLUMN blocked_by, DROP COLUMN run_on_parent_failure, DROP COLUMN has_children;
      ALTER TABLE older.job_log DROP COLUMN requeued_from, DROP COLUMN parents;
      DROP TABLE older.paused_entrypoints, older.dedupe_reservations, older.job_dependencies;
      DROP INDEX older.jobs_held_idx, older.job_log_failed_idx;
      DROP FUNCTION older.claim_jobs(uuid, text[], integer[], double precision[], double precision[], integer, boolean);
      DROP FUNCTION older.claim_jobs(uuid, text[], integer[], double precision[], double precision[], integer, boolean, integer[]);
      DROP FUNCTION older.cancel_jobs(bigint[]);
      DROP TABLE older.job_group_cursors, older.idle_workers;
      DROP INDEX older.jobs_queued_idx;
      CREATE INDEX jobs_queued_idx ON older.jobs (entrypoint, priority DESC, id) WHERE status = 'queued';
      DELETE FROM older.migrations WHERE version > 2`);
    await assert.rejects(PgQueuer.connect(db.url, { schema: 'older' }), (err: unknown) => {
      assert.ok(err instanceof SchemaVersionError);
      assert.match(err.message, /is at migration 2, this version needs 8: run `npx pgq upgrade`/);
      return true;
    });
    assert.deepEqual((await verify(db.url, { schema: 'older' })).problems, [
      'migration 3 (lifecycle) is not applied: run `pgq upgrade`',
      'migration 4 (privileges) is not applied: run `pgq upgrade`',
      'migration 5 (dependencies) is not applied: run `pgq upgrade`',
      'migration 6 (groups) is not applied: run `pgq upgrade`',
      'migration 7 (group turns) is not applied: run `pgq upgrade`',
      'migration 8 (hand-off) is not applied: run `pgq upgrade`',
      'table older.paused_entrypoints is missing',
      'table older.dedupe_reservations is missing',
      'table older.job_dependencies is missing',
      'table older.job_group_cursors is missing',
      'table older.idle_workers is missing',
      'index older.jobs_held_idx is missing: run `pgq upgrade`',
      'index older.job_log_failed_idx is missing: run `pgq upgrade`',
      'function older.cancel_jobs(bigint[]) is missing: run `pgq upgrade`',
      'index older.job_dependencies_child_idx is missing: run `pgq upgrade`',
      'index older.jobs_blocked_idx is missing: run `pgq upgrade`',
      'function older.release_children() is missing: run `pgq upgrade`',
      'trigger older.jobs_release_children is missing or disabled: run `pgq upgrade`',
      'function older.enqueue_after(json) is missing: run `pgq upgrade`',
      'index older.jobs_turn_idx is missing: run `pgq upgrade`',
      'function older.assign_group_turn() is missing: run `pgq upgrade`',
      'trigger older.jobs_group_turn is missing or disabled: run `pgq upgrade`',
      'function older.claim_jobs(uuid, text[], integer[], double precision[], double precision[], integer, boolean, integer[]) is missing: run `pgq upgrade`',
      'function older.claim_jobs(uuid, text[], integer[], double precision[], double precision[], integer, boolean) is missing: run `pgq upgrade`',
    ]);
    const report = await install(db.url, { schema: 'older' });
    assert.deepEqual([report.applied, report.repaired], [[3, 4, 5, 6, 7, 8], []]);
    assert.deepEqual((await verify(db.url, { schema: 'older' })).problems, []);
    const pgq = await PgQueuer.connect(db.url, { schema: 'older' });
    await pgq.stop();
  });

  test('migration 7 lines up the grouped jobs already waiting: each group by priority, then id', async () => {
    await install(db.url, { schema: 'sixth' });
    // Roll the install back to migration 6, as the previous pgqueuer left it.
    await db.pool.query(`
      ${withoutGroupTurns('sixth')}
      ALTER TABLE sixth.job_group_cursors DROP COLUMN turn;
      DROP TABLE sixth.idle_workers;
      ${claimJobsV6(schemaNames('sixth'))}
      DELETE FROM sixth.migrations WHERE version > 6`);
    await db.pool.query(`INSERT INTO sixth.jobs (entrypoint, priority, payload, headers) VALUES
      ('t', 0, '1', '{"pgq-group": "a"}'), ('t', 0, '2', '{"pgq-group": "a"}'), ('t', 5, '3', '{"pgq-group": "a"}'),
      ('t', 0, '4', '{"pgq-group": "b"}'), ('t', 0, '5', '{}')`);
    assert.deepEqual((await install(db.url, { schema: 'sixth' })).applied, [7, 8]);
    const claims: unknown[][] = [];
    for (let i = 0; i < 3; i++) {
      const { rows } = await db.pool.query(
        `SELECT payload FROM sixth.claim_jobs('00000000-0000-0000-0000-000000000007', '{t}', '{0}', '{0}', '{0}', 2, false, '{1}') ORDER BY id`,
      );
      claims.push(rows.map((r) => r.payload));
      await db.pool.query(`DELETE FROM sixth.jobs WHERE status = 'picked'`);
    }
    // Group a's line is 3 (priority 5), 1, 2 and b's is 4; the ungrouped 5 runs by priority beside them.
    assert.deepEqual(claims, [[3, 4], [1, 5], [2]]);
  });

  test('a database migrated by a newer pgqueuer is refused, not downgraded', async () => {
    await install(db.url, { schema: 'newer' });
    await db.pool.query(`INSERT INTO newer.migrations (version, name, checksum) VALUES (99, 'from the future', 'x')`);
    await assert.rejects(install(db.url, { schema: 'newer' }), /at migration 99, newer than this version of pgqueuer knows/);
    await assert.rejects(PgQueuer.connect(db.url, { schema: 'newer' }), SchemaVersionError);
    assert.ok((await verify(db.url, { schema: 'newer' })).problems.includes('migration 99 (from the future) is newer than this pgqueuer knows: upgrade the package'));
  });

  test('connect refuses an uninstalled schema with the command to run', async () => {
    await assert.rejects(PgQueuer.connect(db.url, { schema: 'never_installed' }), (err: unknown) => {
      assert.ok(err instanceof SchemaNotInstalledError);
      assert.match(err.message, /npx pgq install --schema-name never_installed/);
      return true;
    });
  });

  test('the schema name is validated, and "public" is refused', async () => {
    await assert.rejects(install(db.url, { schema: 'public' }), ConfigError);
    await assert.rejects(install(db.url, { schema: 'Robert"); DROP TABLE x; --' }), ConfigError);
  });

  test('uninstall drops the schema and everything in it', async () => {
    await install(db.url, { schema: 'doomed' });
    await uninstall(db.url, { schema: 'doomed' });
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'doomed'`);
    assert.equal(rows[0].n, 0);
  });

  test('install works through a pool the caller owns and leaves it open', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    try {
      await install(pool, { schema: 'pooled' });
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM pooled.migrations');
      assert.equal(rows[0].n, MIGRATIONS.length);
    } finally {
      await pool.end();
    }
  });
});

describe('two applications in one database', () => {
  test('schemas keep jobs and notifications apart', async () => {
    const alpha = await openQueue(db.url, { schema: 'app_alpha' });
    const beta = await openQueue(db.url, { schema: 'app_beta' });
    const ranInAlpha: unknown[] = [];
    const betaRan = deferred<unknown>();
    alpha.entrypoint('task', async (job) => {
      ranInAlpha.push(job.payload);
    });
    beta.entrypoint('task', async (job) => betaRan.resolve(job.payload));
    const stopAlpha = startWorker(alpha);
    const stopBeta = startWorker(beta);
    try {
      await beta.enqueue('task', { for: 'beta' });
      assert.deepEqual(await within(betaRan.promise, 5_000, 'beta job'), { for: 'beta' });
      assert.deepEqual(ranInAlpha, []);
      assert.deepEqual(await alpha.queueSize(), []);
    } finally {
      await Promise.all([stopAlpha(), stopBeta()]);
    }
  });
});
