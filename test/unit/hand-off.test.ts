/**
 * The worker's side of hand-off against a scripted port: what it offers, when it stops
 * offering, and which announced jobs it refuses to run (they go back with the lost ones).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import { handOffKey } from '../../src/port/hand-off-key.js';
import type { HandOffOffer, ReclaimedJobs } from '../../src/port/rows.js';
import { HandOff } from '../../src/worker/hand-off.js';

function scripted(reclaims: ReclaimedJobs[]) {
  const calls: string[] = [];
  const port = {
    park: async ({ entrypoints, slots }: HandOffOffer) => void calls.push(`park ${entrypoints.join(',')} ${slots}`),
    unpark: async () => void calls.push('unpark'),
    reclaimLost: async (_w: string, held: readonly number[]) => {
      calls.push(`reclaim holding ${held.join(',')}`);
      return reclaims.shift() ?? { offered: false, ids: [] };
    },
  };
  const handOff = new HandOff({
    port,
    workerId: 'w',
    entrypoints: ['e'],
    heartbeatIntervalMs: 60_000,
    logger: silentLogger,
    free: () => 4,
    held: () => [7],
  });
  const received = (id: number) => handOff.received(id, handOffKey(handOff.address.secret, id));
  return { handOff, calls, received, };
}

/** Lets the hand-off's writes run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('offers its free slots after a short claim, keeps them while most are left, and withdraws them for a backlog', async () => {
  const { handOff, calls, received } = scripted([]);
  handOff.claimed(false, false);
  await settle();
  assert.deepEqual(calls, [], 'nothing while notifications are not shown to arrive');
  handOff.claimed(false, true);
  await settle();
  assert.deepEqual(calls, ['park e 4']);
  assert.equal(received(1), true);
  handOff.claimed(false, true);
  await settle();
  assert.deepEqual(calls, ['park e 4'], 'three of four left: unchanged');
  assert.equal(received(2), true);
  await settle();
  assert.deepEqual(calls, ['park e 4', 'park e 3'], 'half used: offered again, less the slot the arriving job takes');
  assert.equal(received(3), true);
  assert.equal(received(4), true);
  await settle();
  assert.deepEqual(calls, ['park e 4', 'park e 3', 'park e 3'], 'offered again though the count is the one offered before: the database has fewer left');
  handOff.claimed(true, true);
  await settle();
  assert.deepEqual(calls, ['park e 4', 'park e 3', 'park e 3', 'unpark']);
});

test('a hand-off whose key was not made with its secret is not run', async () => {
  const { handOff } = scripted([]);
  handOff.claimed(false, true);
  await settle();
  assert.equal(handOff.received(1, handOffKey('someone else', 1)), false);
  assert.equal(handOff.received(1, 'x'), false);
  assert.equal(handOff.received(1, 'é'.repeat(64)), false, 'as many characters as a key, more bytes');
  assert.equal(handOff.received(1, handOffKey(handOff.address.secret, 1)), true);
});

test('after a listener failure it runs no announced job until the lost ones are back, and never one given back', async () => {
  const { handOff, calls, received } = scripted([{ offered: true, ids: [] }, { offered: false, ids: [3] }]);
  handOff.claimed(false, true);
  await settle();
  assert.equal(received(9), true);
  handOff.listenerFailed();
  await settle();
  assert.deepEqual(calls, ['park e 4', 'unpark']);
  assert.equal(received(1), false, 'may be given back by a reclaim already out');
  handOff.claimed(false, true);
  await settle();
  assert.deepEqual(calls.at(-1), 'unpark', 'no new offer while some may be lost');
  await handOff.listenerBack();
  assert.equal(calls.at(-1), 'reclaim holding 7,9', 'what it holds, and what it took: left to the rescuer if its outcome was lost');
  assert.equal(received(2), false, 'still offered: nothing reclaimed yet');
  await handOff.listenerBack();
  assert.equal(received(3), false, 'given back: its late notification is not run');
  assert.equal(received(4), true);
  handOff.claimed(false, true);
  await settle();
  assert.equal(calls.at(-1), 'park e 4', 'offers again');
});

test('stopping withdraws the offer, then gives back what it did not hear of; it refuses what arrives after', async () => {
  const { handOff, calls, received } = scripted([]);
  handOff.claimed(false, true);
  await settle();
  await handOff.stop();
  assert.deepEqual(calls, ['park e 4', 'unpark', 'reclaim holding 7']);
  assert.equal(received(5), false);
});
