import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotificationCheck, type NotificationCheckTiming } from '../../src/notification-check.js';
import type { Logger } from '../../src/types.js';
import { until } from '../support/wait.js';

const TIMING: NotificationCheckTiming = { timeoutMs: 30, recheckArrivingMs: 40, recheckMissingMs: 40 };

/** A check whose probes are delivered only while `deaf` is false, as a listener behind a transaction pooler hears nothing. */
function harness() {
  const warnings: string[] = [];
  const infos: string[] = [];
  const changes: boolean[] = [];
  const sent: string[] = [];
  const logger: Logger = {
    debug: () => {},
    info: (_obj, msg) => void infos.push(String(msg)),
    warn: (_obj, msg) => void warnings.push(String(msg)),
    error: () => {},
  };
  const state = { deaf: true };
  const check: NotificationCheck = new NotificationCheck('worker-1', {
    listener: 'this worker',
    meanwhile: 'jobs are found by polling',
    send: async (token) => {
      sent.push(token);
      // Another worker's probe on the same channel arrives either way.
      setImmediate(() => check.received('worker-2:1'));
      if (!state.deaf) setImmediate(() => check.received(token));
    },
    changed: (arriving) => void changes.push(arriving),
    fastPollMs: 200,
    logger,
  }, TIMING);
  return { check, state, warnings, infos, changes, sent };
}

test('probes that never come back: one warning naming what to set, however often it probes again', async () => {
  const h = harness();
  h.check.probe();
  await until(() => h.sent.length >= 4, 2_000, 'four probes');
  h.check.stop();
  assert.equal(h.warnings.length, 1);
  assert.match(h.warnings[0]!, /notifications do not arrive \(a NOTIFY this worker sent itself did not come back within 30 ms\), so jobs are found by polling/);
  assert.match(h.warnings[0]!, /PgBouncer with pool_mode=transaction/);
  assert.match(h.warnings[0]!, /set listenConnection \(or PGQ_LISTEN_URL, pgq --listen-url\)/);
  assert.match(h.warnings[0]!, /Polling every 200 ms/);
  assert.deepEqual(h.changes, [false]);
  assert.equal(h.check.notificationsArrive, false);
});

test('notifications that arrive again restore the poll; going deaf once more does not warn twice', async () => {
  const h = harness();
  h.check.probe();
  await until(() => h.changes.length === 1, 2_000, 'the first timeout');
  h.state.deaf = false;
  await until(() => h.changes.length === 2, 2_000, 'a probe coming back');
  assert.equal(h.check.notificationsArrive, true);
  assert.match(h.infos.join('\n'), /notifications arrive again/);
  h.state.deaf = true;
  await until(() => h.changes.length === 3, 2_000, 'deaf again');
  h.check.stop();
  assert.deepEqual(h.changes, [false, true, false]);
  assert.equal(h.warnings.length, 1);
});

test('a listener that hears its probes changes nothing and says nothing', async () => {
  const h = harness();
  h.state.deaf = false;
  h.check.probe();
  await until(() => h.sent.length >= 3, 2_000, 'three probes');
  h.check.stop();
  assert.deepEqual(h.changes, []);
  assert.deepEqual(h.warnings, []);
});

test('a probe the database did not take says nothing about notifications', async () => {
  const warnings: string[] = [];
  let sends = 0;
  const check = new NotificationCheck('w', {
    listener: 'this worker',
    meanwhile: 'jobs are found by polling',
    send: async () => {
      sends++;
      throw new Error('connection refused');
    },
    changed: () => assert.fail('nothing changed'),
    fastPollMs: 200,
    logger: { debug: () => {}, info: () => {}, warn: (_o, m) => void warnings.push(String(m)), error: () => {} },
  }, TIMING);
  check.probe();
  await until(() => sends >= 3, 2_000, 'retried probes');
  check.stop();
  assert.deepEqual(warnings, []);
});

test('while the listener is down no probe is judged; probing again after it is back gives the verdict', async () => {
  const h = harness();
  h.check.probe();
  h.check.suspend();
  await new Promise((resolve) => setTimeout(resolve, TIMING.timeoutMs * 3));
  assert.deepEqual([h.changes, h.warnings, h.sent.length], [[], [], 1], 'no verdict, no probe while suspended');
  h.check.probe();
  await until(() => h.changes.length === 1, 2_000, 'the verdict after the listener is back');
  h.check.stop();
  assert.equal(h.warnings.length, 1);
});
