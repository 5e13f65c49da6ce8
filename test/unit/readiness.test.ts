import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeReadiness } from '../../src/observability/readiness.js';
import type { WorkerHealth } from '../../src/observability/readiness.js';

const running: WorkerHealth = { state: 'running', listening: true };

test('readiness: each failing check makes the worker not ready, saying why', () => {
  const cases: Array<[string, WorkerHealth | undefined, boolean, RegExp | undefined]> = [
    ['claiming, listening, database answers', running, true, undefined],
    ['run() never called', undefined, false, /not running/],
    ['starting', { state: 'starting', listening: true }, false, /worker is starting/],
    ['starting, waiting for the database', { state: 'starting', listening: false, startupWaitingOn: new Error('ECONNREFUSED') }, false, /waiting for the database \(ECONNREFUSED\)/],
    ['database error', { ...running, databaseError: new Error('connection lost') }, false, /database does not answer \(connection lost\)/],
    ['listener down', { ...running, listening: false }, false, /listener is down/],
    ['stopping', { state: 'stopping', listening: true }, false, /worker is stopping/],
    ['stopped', { state: 'stopped', listening: false }, false, /worker is stopped/],
  ];
  for (const [name, health, ready, reason] of cases) {
    const report = judgeReadiness(health);
    assert.equal(report.ready, ready, name);
    if (reason) assert.match(report.reason ?? '', reason, name);
    else assert.equal(report.reason, undefined, name);
  }
  assert.deepEqual(judgeReadiness({ ...running, listening: false }).checks, { claiming: true, listening: false, database: true });
});
