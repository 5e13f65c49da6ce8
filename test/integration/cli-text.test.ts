import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { install } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runPgq, type CliResult } from '../support/pgq-cli.js';

/**
 * Text from the database and from the command line reaches the operator's terminal only
 * without control characters: a name holding an escape sequence must not recolour, clear or
 * retitle the terminal. JSON output keeps the text exact (JSON escapes it).
 */
const EVIL = 'evil\n\u001b[31mred';
/** Every control character but the newline that ends a line. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
  await install(db.url);
});
after(() => db.drop());

const pgq = (args: string[]) => runPgq(db.url, args);

function assertClean(result: CliResult, what: string): void {
  assert.doesNotMatch(result.stdout, CONTROL, `${what}: stdout ${JSON.stringify(result.stdout)}`);
  assert.doesNotMatch(result.stderr, CONTROL, `${what}: stderr ${JSON.stringify(result.stderr)}`);
}

describe('pgq prints no control characters', () => {
  test('pgq queue: an entrypoint with an escape sequence stays on its row; --json keeps it exact', async () => {
    await db.pool.query('INSERT INTO pgqueuer.jobs (entrypoint) VALUES ($1)', [EVIL]);
    const table = await pgq(['queue']);
    assert.equal(table.code, 0, table.stderr);
    assertClean(table, 'pgq queue');
    assert.match(table.stdout, /^evil {2}\[31mred +queued +0 +1$/m);
    const json = await pgq(['queue', '--json']);
    assert.equal(JSON.parse(json.stdout)[0].entrypoint, EVIL);
  });

  test('pgq schedules: a schedule name, expression and timezone with escape sequences', async () => {
    await db.pool.query(`INSERT INTO pgqueuer.schedules (name, expression, timezone, next_run) VALUES ($1, $2, $3, now())`, [
      EVIL,
      '0 3 * * *\u001b]0;title\u0007',
      'UTC\u009b2J',
    ]);
    const table = await pgq(['schedules']);
    assert.equal(table.code, 0, table.stderr);
    assertClean(table, 'pgq schedules');
    assert.match(table.stdout, /^evil {2}\[31mred {2}0 3 \* \* \* \]0;title +UTC 2J +- /m);
    const json = await pgq(['schedules', '--json']);
    assert.equal(JSON.parse(json.stdout)[0].name, EVIL);
  });

  test('an error naming a bad --schema-name shows its control characters escaped', async () => {
    const result = await pgq(['--schema-name', 'x\u001b[2J', 'queue']);
    assert.equal(result.code, 2);
    assertClean(result, 'bad schema name');
    assert.match(result.stderr, /^pgq: invalid schema name "x\\x1b\[2J": /);
  });

  test('commander\'s own errors quote arguments escaped', async () => {
    const result = await pgq(['cancel', '1\u001b[2J']);
    assert.equal(result.code, 2);
    assertClean(result, 'bad job id');
    assert.match(result.stderr, /"1\\x1b\[2J" is not a job id/);
  });

  test('pause and resume echo the entrypoint escaped', async () => {
    for (const command of ['pause', 'resume']) {
      const result = await pgq([command, 'evil\u001b[31m']);
      assert.equal(result.code, 0, result.stderr);
      assertClean(result, `pgq ${command}`);
      assert.match(result.stdout, /"evil\\x1b\[31m"/);
    }
  });

  test('verify: a problem naming a migration from the database', async () => {
    await db.pool.query(`INSERT INTO pgqueuer.migrations (version, name, checksum) VALUES (99, $1, 'x')`, [EVIL]);
    try {
      const result = await pgq(['verify']);
      assert.equal(result.code, 1);
      assertClean(result, 'pgq verify');
      assert.match(result.stderr, /^migration 99 \(evil\\n\\x1b\[31mred\) is newer than this pgqueuer knows/m);
    } finally {
      await db.pool.query('DELETE FROM pgqueuer.migrations WHERE version = 99');
    }
  });
});
