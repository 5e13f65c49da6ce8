import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeTarget, isConnectionFailure, poolConfig } from '../../src/postgres/connection.js';

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
