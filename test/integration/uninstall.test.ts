import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, install, SchemaVersionError, uninstall, UninstallRefusedError } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { repoRoot } from '../support/project.js';
import { pgqMain, runPgq } from '../support/pgq-cli.js';
import { startInTerminal, type TerminalSession } from '../support/tmux.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

const pgq = (args: string[]) => runPgq(db.url, args);

async function schemaExists(schema: string): Promise<boolean> {
  const { rows } = await db.pool.query('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present', [schema]);
  return rows[0].present;
}

/** An application's schema: a customers table with rows, nothing of pgqueuer's. */
async function appSchema(schema: string): Promise<void> {
  await db.pool.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.customers (id int, name text);
    CREATE TABLE ${schema}.orders (id int); INSERT INTO ${schema}.customers VALUES (1, 'Ada'), (2, 'Grace')`);
}

async function customers(schema: string): Promise<number> {
  return (await db.pool.query(`SELECT count(*)::int AS n FROM ${schema}.customers`)).rows[0].n;
}

describe('uninstall refuses what is not pgqueuer\'s', () => {
  test('a schema of user tables is refused, naming them, and survives with its rows (API)', async () => {
    await appSchema('app_api');
    await assert.rejects(uninstall(db.url, { schema: 'app_api', force: true }), (err: unknown) => {
      assert.ok(err instanceof UninstallRefusedError);
      assert.equal(err.reason, 'not-pgqueuer');
      assert.deepEqual(err.otherTables, ['customers', 'orders']);
      assert.equal(
        err.message,
        'schema "app_api" holds 2 tables that are not pgqueuer\'s ("customers", "orders") and no pgqueuer migrations table: refusing to drop it',
      );
      return true;
    });
    assert.equal(await customers('app_api'), 2);
  });

  test('a schema of user tables is refused and survives (CLI, even with --yes --force)', async () => {
    await appSchema('app_cli');
    const refused = await pgq(['--schema-name', 'app_cli', 'uninstall', '--yes', '--force']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^pgq: schema "app_cli" holds 2 tables that are not pgqueuer's \("customers", "orders"\) and no pgqueuer migrations table: refusing to drop it$/m);
    assert.equal(await customers('app_cli'), 2);
  });

  test('another tool\'s "migrations" table does not make a schema pgqueuer\'s', async () => {
    // TypeORM's table is called migrations too.
    await db.pool.query(`CREATE SCHEMA typeorm_app; CREATE TABLE typeorm_app.migrations (id serial, "timestamp" bigint, name varchar)`);
    await assert.rejects(uninstall(db.url, { schema: 'typeorm_app' }), /holds 1 table that are not pgqueuer's \("migrations"\)/);
    assert.equal(await schemaExists('typeorm_app'), true);
  });

  test('system schemas are refused', async () => {
    for (const schema of ['information_schema', 'pg_catalog', 'pg_toast', 'public']) {
      await assert.rejects(uninstall(db.url, { schema }), ConfigError, schema);
      const cli = await pgq(['--schema-name', schema, 'uninstall', '--yes']);
      assert.equal(cli.code, 2, schema);
      assert.match(cli.stderr, new RegExp(`^pgq: schema "${schema}" cannot hold pgqueuer`), schema);
      assert.equal(await schemaExists(schema), true);
    }
  });

  test('a schema that does not exist is nothing to uninstall', async () => {
    assert.deepEqual(await uninstall(db.url, { schema: 'never_there' }), { schema: 'never_there', dropped: false, existed: false, otherTables: [] });
    const cli = await pgq(['--schema-name', 'never_there', 'uninstall']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.stdout.trim(), 'schema "never_there" does not exist: nothing to uninstall');
  });

  test('pgqueuer\'s schema with a user table is refused naming it, unless forced', async () => {
    await install(db.url, { schema: 'extra' });
    await db.pool.query(`CREATE TABLE extra.audit (id int); INSERT INTO extra.jobs (entrypoint) VALUES ('kept')`);
    await assert.rejects(uninstall(db.url, { schema: 'extra' }), (err: unknown) => {
      assert.ok(err instanceof UninstallRefusedError);
      assert.equal(err.reason, 'other-tables');
      assert.deepEqual(err.otherTables, ['audit']);
      return true;
    });
    const cli = await pgq(['--schema-name', 'extra', 'uninstall', '--yes']);
    assert.equal(cli.code, 2);
    assert.match(cli.stderr, /^pgq: schema "extra" is pgqueuer's but also holds 1 table that are not \("audit"\): refusing to drop it; pass force: true \(pgq uninstall --force\)/);
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM extra.jobs')).rows[0].n, 1, 'the jobs are still there');

    const forced = await pgq(['--schema-name', 'extra', 'uninstall', '--yes', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /dropped schema "extra" with every job in it\nand tables that were not pgqueuer's: audit/);
    assert.equal(await schemaExists('extra'), false);
  });

  test('a view or foreign key elsewhere on pgqueuer\'s tables is refused, unless forced', async () => {
    await install(db.url, { schema: 'depended' });
    await db.pool.query(`CREATE VIEW public.depended_stats AS SELECT count(*) FROM depended.jobs;
      CREATE TABLE public.depended_refs (job bigint REFERENCES depended.jobs (id)); INSERT INTO public.depended_refs VALUES (NULL)`);
    await assert.rejects(uninstall(db.url, { schema: 'depended' }), (err: unknown) => {
      assert.ok(err instanceof UninstallRefusedError);
      assert.equal(err.reason, 'dependents');
      assert.match(err.message, /view depended_stats depends on table depended\.jobs/);
      assert.match(err.message, /constraint depended_refs_job_fkey on table depended_refs depends on table depended\.jobs/);
      return true;
    });
    assert.equal(await schemaExists('depended'), true);
    assert.deepEqual(await uninstall(db.url, { schema: 'depended', force: true }), { schema: 'depended', dropped: true, existed: true, otherTables: [] });
    assert.equal((await db.pool.query(`SELECT to_regclass('public.depended_stats') AS v`)).rows[0].v, null);
    // Forced, CASCADE takes the foreign key only: the table that had it keeps its rows.
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM public.depended_refs')).rows[0].n, 1);
  });

  test('a schema of a newer pgqueuer is left to that version, unless forced', async () => {
    await install(db.url, { schema: 'future' });
    await db.pool.query(`INSERT INTO future.migrations (version, name, checksum) VALUES (99, 'future', 'x'); CREATE TABLE future.v99_things (id int)`);
    await assert.rejects(uninstall(db.url, { schema: 'future' }), SchemaVersionError);
    assert.equal((await uninstall(db.url, { schema: 'future', force: true })).dropped, true);
  });

  test('confirm is asked after the checks; false drops nothing', async () => {
    await install(db.url, { schema: 'asked' });
    const plans: unknown[] = [];
    const declined = await uninstall(db.url, { schema: 'asked', confirm: (plan) => (plans.push(plan), false) });
    assert.deepEqual(declined, { schema: 'asked', dropped: false, existed: true, otherTables: [] });
    assert.deepEqual(plans, [{ schema: 'asked', otherTables: [] }]);
    assert.equal(await schemaExists('asked'), true);
    assert.equal((await uninstall(db.url, { schema: 'asked', confirm: () => true })).dropped, true);
    assert.equal(await schemaExists('asked'), false);
  });
});

describe('pgq uninstall asks first', () => {
  test('without a terminal it refuses unless --yes', async () => {
    await install(db.url, { schema: 'scripted' });
    const refused = await pgq(['--schema-name', 'scripted', 'uninstall']);
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr.trim(), 'pgq: uninstall would drop schema "scripted" and every job in it: pass --yes to confirm');
    assert.equal(await schemaExists('scripted'), true);

    const dropped = await pgq(['--schema-name', 'scripted', 'uninstall', '--yes']);
    assert.equal(dropped.code, 0, dropped.stderr);
    assert.equal(dropped.stdout.trim(), 'dropped schema "scripted" with every job in it');
    assert.equal(await schemaExists('scripted'), false);
  });

  test('on a terminal, n keeps the schema and y drops it', async () => {
    await install(db.url, { schema: 'interactive' });
    const argv = [process.execPath, '--import', 'tsx', pgqMain, '--schema-name', 'interactive', 'uninstall'];
    const env = { DATABASE_URL: db.url };
    for (const answer of ['n', 'y']) {
      let term: TerminalSession | undefined;
      try {
        term = await startInTerminal(argv, { width: 120, height: 10, cwd: repoRoot, env });
        await term.waitForScreen((s) => s.includes('drop schema "interactive" and every job in it? [y/N]'), 20_000, 'the question');
        await term.sendKeys(answer, 'Enter');
        assert.equal(await term.exited(10_000), 0);
        assert.match(await term.screen(), answer === 'y' ? /dropped schema "interactive" with every job in it/ : /nothing dropped/);
        assert.equal(await schemaExists('interactive'), answer === 'n');
      } finally {
        await term?.kill();
      }
    }
  });
});
