/**
 * The worker's side of hand-off against a scripted port: what it offers, when it stops
 * offering, and which announced jobs it refuses to run (they go back with the lost ones).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import type { ReclaimedJobs } from '../../src/port/rows.js';
import { HandOff } from '../../src/worker/hand-off.js';

function scripted(reclaims: ReclaimedJobs[]) {
  const calls: string[] = [];
  const port = {
    park: async (_w: string, entrypoints: readonly string[], slots: number) => void calls.push(`park ${entrypoints.join(',')} ${slots}`),
    unpark: async () => void calls.push('unpark'),
    reclaimLost: async (_w: string, held: readonly number[]) => {
      calls.push(`reclaim holding ${held.join(',')}`);
      return reclaims.shift() ?? { offered: false, ids: [] };
    },
  };
  let free = 4;
  const handOff = new HandOff({
    port,
    workerId: 'w',
    entrypoints: ['e'],
    heartbeatIntervalMs: 60_000,
    logger: silentLogger,
    free: () => free,
    held: () => [7],
  });
  return { handOff, calls, setFree: (n: number) => (free = n) };
}

/** Lets the hand-off's writes run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('offers its free slots after a short claim, keeps them while most are left, and withdraws them for a backlog', async () => {
  const { handOff, calls, setFree } = scripted([]);
  handOff.claimed(false, false);
  await settle();
  assert.deepEqual(calls, [], 'nothing while notifications are not shown to arrive');
  handOff.claimed(false, true);
  await settle();
  assert.deepEqual(calls, ['park e 4']);
  assert.equal(handOff.received(1), true);
  handOff.claimed(false, true);
  await settle();
  assert.deepEqual(calls, ['park e 4'], 'three of four left: unchanged');
  setFree(2);
  assert.equal(handOff.received(2), true);
  await settle();
  assert.deepEqual(calls, ['park e 4', 'park e 2'], 'half used: offered again, what is free now');
  handOff.claimed(true, true);
  await settle();
  assert.deepEqual(calls, ['park e 4', 'park e 2', 'unpark']);
});

test('after a listener failure it runs no announced job until the lost ones are back, and never one given back', async () => {
  const { handOff, calls } = scripted([{ offered: true, ids: [] }, { offered: false, ids: [3] }]);
  handOff.claimed(false, true);
  await settle();
  handOff.listenerFailed();
  await settle();
  assert.deepEqual(calls, ['park e 4', 'unpark']);
  assert.equal(handOff.received(1), false, 'may be given back by a reclaim already out');
  handOff.claimed(false, true);
  await settle();
  assert.deepEqual(calls.at(-1), 'unpark', 'no new offer while some may be lost');
  await handOff.listenerBack();
  assert.equal(calls.at(-1), 'reclaim holding 7');
  assert.equal(handOff.received(2), false, 'still offered: nothing reclaimed yet');
  await handOff.listenerBack();
  assert.equal(handOff.received(3), false, 'given back: its late notification is not run');
  assert.equal(handOff.received(4), true);
  handOff.claimed(false, true);
  await settle();
  assert.equal(calls.at(-1), 'park e 4', 'offers again');
});

test('stopping withdraws the offer, then gives back what it did not hear of; it refuses what arrives after', async () => {
  const { handOff, calls } = scripted([]);
  handOff.claimed(false, true);
  await settle();
  await handOff.stop();
  assert.deepEqual(calls, ['park e 4', 'unpark', 'reclaim holding 7']);
  assert.equal(handOff.received(5), false);
});
