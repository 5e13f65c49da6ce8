import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeTarget, isConnectionFailure, listenConfig, poolConfig, preparedStatementsSetting } from '../../src/postgres/connection.js';

test('the target in error messages never shows the password', () => {
  assert.equal(describeTarget({ connectionString: 'postgres://app:s3cret@db.internal:6543/jobs?sslmode=require' }), 'postgres://app@db.internal:6543/jobs');
  assert.equal(describeTarget({ host: 'h', port: 1, database: 'd' }), 'postgres://h:1/d');
});

test('a URL, a config, or DATABASE_URL; fail-fast defaults apply to each', () => {
  assert.equal(poolConfig('postgres://x/y').connectionString, 'postgres://x/y');
  assert.equal(poolConfig('postgres://x/y').connectionTimeoutMillis, 5_000);
  assert.equal(poolConfig({ host: 'h', max: 3 }).max, 3);
  const saved = process.env.DATABASE_URL;
  process.env.DATABASE_URL = 'postgres://from-env/db';
  try {
    assert.equal(poolConfig(undefined).connectionString, 'postgres://from-env/db');
  } finally {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  }
});

test('connection failures are told apart from query errors', () => {
  const refused = Object.assign(new Error(''), { code: 'ECONNREFUSED' });
  assert.equal(isConnectionFailure(refused), true);
  assert.equal(isConnectionFailure(Object.assign(new Error('x'), { code: '3D000' })), true);
  assert.equal(isConnectionFailure(Object.assign(new Error('x'), { code: '08006' })), true);
  assert.equal(isConnectionFailure(Object.assign(new Error('syntax'), { code: '42601' })), false);
});

test('preparedStatements: the option wins, else PGQ_PREPARED_STATEMENTS, else on; a value that is no boolean is refused by name', () => {
  const previous = process.env.PGQ_PREPARED_STATEMENTS;
  try {
    delete process.env.PGQ_PREPARED_STATEMENTS;
    assert.equal(preparedStatementsSetting(undefined), true);
    for (const off of ['false', '0', 'off', 'NO', ' False ']) {
      process.env.PGQ_PREPARED_STATEMENTS = off;
      assert.equal(preparedStatementsSetting(undefined), false, off);
      assert.equal(preparedStatementsSetting(true), true, 'the option wins');
    }
    process.env.PGQ_PREPARED_STATEMENTS = 'true';
    assert.equal(preparedStatementsSetting(undefined), true);
    assert.equal(preparedStatementsSetting(false), false);
    process.env.PGQ_PREPARED_STATEMENTS = 'nope';
    assert.throws(() => preparedStatementsSetting(undefined), /PGQ_PREPARED_STATEMENTS must be true or false, got "nope"/);
  } finally {
    if (previous === undefined) delete process.env.PGQ_PREPARED_STATEMENTS;
    else process.env.PGQ_PREPARED_STATEMENTS = previous;
  }
});

test('the listen connection: the option wins, else PGQ_LISTEN_URL, else none (the pool\'s); a bad URL names its setting', () => {
  const previous = process.env.PGQ_LISTEN_URL;
  try {
    delete process.env.PGQ_LISTEN_URL;
    assert.equal(listenConfig(undefined), undefined);
    process.env.PGQ_LISTEN_URL = 'postgres://app@db:5432/app';
    assert.equal(listenConfig(undefined)?.connectionString, 'postgres://app@db:5432/app');
    assert.equal(listenConfig('postgres://other@db/app')?.connectionString, 'postgres://other@db/app');
    const config = listenConfig({ host: 'db', port: 5433, user: 'app' })!;
    assert.deepEqual([config.host, config.port, config.user, config.keepAlive], ['db', 5433, 'app', true]);
    assert.throws(() => listenConfig('not a url'), /listenConnection is not a valid URL/);
    process.env.PGQ_LISTEN_URL = 'not a url';
    assert.throws(() => listenConfig(undefined), /PGQ_LISTEN_URL is not a valid URL/);
  } finally {
    if (previous === undefined) delete process.env.PGQ_LISTEN_URL;
    else process.env.PGQ_LISTEN_URL = previous;
  }
});
