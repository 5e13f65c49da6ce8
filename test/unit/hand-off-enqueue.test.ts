/**
 * Which statement a single enqueue sends: the hand-off while a worker waits for its entrypoint,
 * the plain insert for a moment after one found none (cheaper), and the plain insert for good
 * when the role may not hand off (grants from before hand-off); only jobs due now are offered.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrivilegeError } from '../../src/errors.js';
import type { Driver, Statement } from '../../src/postgres/driver.js';
import { PgBackend } from '../../src/postgres/pg-backend.js';
import { schemaNames } from '../../src/postgres/schema-names.js';
import { GROUP_HEADER, type EnqueueRow } from '../../src/port/rows.js';

function recording(answer: (label: string) => unknown) {
  const sent: string[] = [];
  const driver = {
    query: async (statement: Statement) => {
      const label = statement.name.replace(/^pgq_/, '').replace(/_[0-9a-f]{12}$/, '');
      sent.push(label);
      return [answer(label)];
    },
  } as unknown as Driver;
  return { backend: new PgBackend(driver, schemaNames('pgqueuer')), sent };
}

const row = (entrypoint: string): EnqueueRow => ({
  entrypoint, priority: 0, payload: '{}', headers: null, executeAt: null, delayMs: null,
  dedupeKey: null, onConflict: 'error', dedupeWindowMs: null, after: null, runOnParentFailure: false,
});

test('after a hand-off found no worker waiting, the next enqueues of that entrypoint insert plainly', async () => {
  let waiting = true;
  const { backend, sent } = recording((label) => (label === 'hand_off_enqueue' ? { id: '1', waiting } : { id: '2' }));
  await backend.enqueue([row('a')]);
  await backend.enqueue([row('a')]);
  waiting = false;
  const since = Date.now();
  await backend.enqueue([row('a')]);
  await backend.enqueue([row('a')]);
  // Within the 50 ms it skips hand-off for (a stall past them would let it try again).
  const within = Date.now() - since < 50;
  await backend.enqueue([row('b')]);
  assert.deepEqual(sent, ['hand_off_enqueue', 'hand_off_enqueue', 'hand_off_enqueue', within ? 'enqueue_one' : 'hand_off_enqueue', 'hand_off_enqueue']);
});

test('a role that may not hand off enqueues plainly from then on, losing nothing', async () => {
  const { backend, sent } = recording((label) => {
    if (label === 'hand_off_enqueue') throw new PrivilegeError('permission denied for table idle_workers', { kind: 'table', object: 'pgqueuer.idle_workers', privileges: ['UPDATE'] });
    return { id: '7' };
  });
  assert.deepEqual(await backend.enqueue([row('a')]), [7]);
  assert.deepEqual(await backend.enqueue([row('a')]), [7]);
  assert.deepEqual(sent, ['hand_off_enqueue', 'enqueue_one', 'enqueue_one']);
});

test('a job for later or with a dedupe key is inserted plainly, never offered to a worker', async () => {
  const { backend, sent } = recording((label) => (label === 'hand_off_enqueue' ? { id: '1', waiting: true } : { id: '2' }));
  await backend.enqueue([{ ...row('a'), delayMs: 5_000 }]);
  await backend.enqueue([{ ...row('a'), executeAt: new Date(Date.now() + 60_000).toISOString() }]);
  await backend.enqueue([{ ...row('a'), dedupeKey: 'k' }]);
  await backend.enqueue([{ ...row('a'), delayMs: 0 }]);
  assert.deepEqual(sent, ['enqueue_one', 'enqueue_one', 'enqueue_keyed', 'hand_off_enqueue']);
});

test('a grouped job is inserted plainly (its group takes turns), never offered to a worker', async () => {
  const { backend, sent } = recording((label) => (label === 'hand_off_enqueue' ? { id: '1', waiting: true } : { id: '2' }));
  await backend.enqueue([{ ...row('a'), headers: JSON.stringify({ [GROUP_HEADER]: 'tenant' }) }]);
  await backend.enqueue([{ ...row('a'), headers: JSON.stringify({ trace: 'x', [GROUP_HEADER]: 'tenant' }) }]);
  await backend.enqueue([{ ...row('a'), headers: JSON.stringify({ trace: 'x' }) }]);
  assert.deepEqual(sent, ['enqueue_one', 'enqueue_one', 'hand_off_enqueue']);
});
