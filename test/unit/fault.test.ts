import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionError, PreparedStatementsUnsupportedError, PrivilegeError, SchemaNotInstalledError, StatementTimeoutError } from '../../src/errors.js';
import { typedFault, type FaultSite } from '../../src/postgres/fault.js';
import { prepared } from '../../src/postgres/statement.js';

const pgError = (message: string, code?: string): Error => Object.assign(new Error(message), code ? { code } : {});
const site = (stage: FaultSite['stage'], text = 'SELECT 1'): FaultSite => ({ stage, target: 'postgres://db/app', statement: prepared('cancel', text), role: 'app' });

test('a lost connection may have committed only if the statement was sent outside an open transaction', async () => {
  const lost = pgError('Connection terminated unexpectedly');
  const cases: Array<[FaultSite['stage'], boolean, RegExp]> = [
    ['connecting', false, /^cannot connect to PostgreSQL at postgres:\/\/db\/app: Connection terminated unexpectedly$/],
    ['statement', true, /during pgqueuer's "cancel" statement: .*sent and may have committed/],
    ['transaction', false, /its transaction was rolled back$/],
    ['caller', true, /committed only if that client was not in a transaction$/],
  ];
  for (const [stage, mayHaveCommitted, message] of cases) {
    const typed = await typedFault(lost, site(stage));
    assert.ok(typed instanceof ConnectionError, stage);
    assert.equal(typed.mayHaveCommitted, mayHaveCommitted, stage);
    assert.match(typed.message, message);
    assert.equal(typed.cause, lost);
  }
  // pg refuses a query on a client it knows is broken without sending it.
  const refused = await typedFault(pgError('Client has encountered a connection error and is not queryable'), site('statement'));
  assert.equal((refused as ConnectionError).mayHaveCommitted, false);
});

test('a statement timeout is typed; a cancel by pg_cancel_backend (same code) is not a timeout', async () => {
  const timeout = await typedFault(pgError('canceling statement due to statement timeout', '57014'), site('statement'));
  assert.ok(timeout instanceof StatementTimeoutError);
  assert.equal(timeout.statement, 'cancel');
  const canceled = pgError('canceling statement due to user request', '57014');
  assert.equal(await typedFault(canceled, site('statement')), canceled);
});

test('a denied privilege names what the statement does with the object, and the grant', async () => {
  const text = 'WITH gone AS (DELETE FROM "pgqueuer".jobs WHERE id = ANY ($1) RETURNING id) INSERT INTO "pgqueuer".job_log SELECT * FROM gone';
  const jobs = await typedFault(pgError('permission denied for table jobs', '42501'), site('transaction', text));
  assert.ok(jobs instanceof PrivilegeError);
  assert.deepEqual([jobs.object, jobs.privileges, jobs.role], ['pgqueuer.jobs', ['SELECT', 'DELETE'], 'app']);
  assert.equal(jobs.grant, 'grant SELECT, DELETE on pgqueuer.jobs to app');
  const log = (await typedFault(pgError('permission denied for table job_log', '42501'), site('transaction', text))) as PrivilegeError;
  assert.deepEqual(log.privileges, ['SELECT', 'INSERT']);
  const schema = (await typedFault(pgError('permission denied for schema pgqueuer', '42501'), site('statement', text))) as PrivilegeError;
  assert.equal(schema.grant, 'grant USAGE on schema pgqueuer to app');
  const fn = (await typedFault(pgError('permission denied for function cancel_jobs', '42501'), site('statement', 'SELECT * FROM "pgqueuer".cancel_jobs($1)'))) as PrivilegeError;
  assert.equal(fn.grant, 'grant EXECUTE on function pgqueuer.cancel_jobs to app');
  const quoted = (await typedFault(pgError('permission denied for schema pgqueuer', '42501'), { ...site('statement', text), role: 'App Role' })) as PrivilegeError;
  assert.equal(quoted.grant, 'grant USAGE on schema pgqueuer to "App Role"');
});

test('a missing schema or table of pgqueuer means it is not installed; other errors pass through as they are', async () => {
  const schema = await typedFault(pgError('schema "pgq_x" does not exist', '3F000'), site('statement'));
  assert.ok(schema instanceof SchemaNotInstalledError);
  assert.equal(schema.schema, 'pgq_x');
  const table = await typedFault(pgError('relation "pgqueuer.job_log" does not exist', '42P01'), site('statement'));
  assert.equal((table as SchemaNotInstalledError).schema, 'pgqueuer');
  for (const untouched of [pgError('relation "t" does not exist', '42P01'), pgError('duplicate key value', '23505'), pgError('invalid input syntax', '22P02')]) {
    assert.equal(await typedFault(untouched, site('statement')), untouched);
  }
  const typed = new ConnectionError('already typed', 'x');
  assert.equal(await typedFault(typed, site('statement')), typed);
});

test('a prepared statement lost or duplicated by a transaction pooler is typed, naming PgBouncer and the setting', async () => {
  for (const [code, message] of [
    ['42P05', 'prepared statement "pgq_cancel_0123456789ab" already exists'],
    ['26000', 'prepared statement "pgq_cancel_0123456789ab" does not exist'],
  ] as const) {
    const raw = pgError(message, code);
    const typed = await typedFault(raw, { ...site('statement'), prepared: true });
    assert.ok(typed instanceof PreparedStatementsUnsupportedError, code);
    assert.equal(typed.statement, 'cancel');
    assert.equal(typed.cause, raw);
    assert.match(typed.message, /nothing was written/);
    assert.match(typed.message, /PgBouncer with pool_mode=transaction/);
    assert.match(typed.message, /preparedStatements: false \(pgq --no-prepared-statements, or PGQ_PREPARED_STATEMENTS=false\)/);
    // Sent unprepared, the same codes are someone else's (a caller's own SQL): left alone.
    assert.equal(await typedFault(raw, site('statement')), raw);
  }
});
