import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidCronError } from '../../src/errors.js';
import { latestRun, nextRun, parseCron } from '../../src/scheduler/cron-spec.js';

function runs(expression: string, timezone: string, from: string, count: number): string[] {
  const spec = parseCron(expression, timezone);
  const out: string[] = [];
  let at = new Date(from);
  for (let i = 0; i < count; i++) {
    at = nextRun(spec, at);
    out.push(at.toISOString());
  }
  return out;
}

test('a 5-field daily spec keeps local time across the spring DST change (America/New_York)', () => {
  assert.deepEqual(runs('0 3 * * *', 'America/New_York', '2026-03-06T12:00:00Z', 3), [
    '2026-03-07T08:00:00.000Z', // 03:00 EST (UTC-5)
    '2026-03-08T07:00:00.000Z', // 03:00 EDT (UTC-4), the day clocks go forward
    '2026-03-09T07:00:00.000Z',
  ]);
});

test('a time in the skipped hour runs once, an hour later in wall time; a repeated hour runs once', () => {
  assert.deepEqual(runs('30 2 * * *', 'America/New_York', '2026-03-07T12:00:00Z', 2), [
    '2026-03-08T07:30:00.000Z', // 02:30 does not exist that day: 03:30 EDT
    '2026-03-09T06:30:00.000Z',
  ]);
  assert.deepEqual(runs('30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z', 2), [
    '2026-11-01T05:30:00.000Z', // 01:30 EDT; 01:30 EST an hour later is not a second run
    '2026-11-02T06:30:00.000Z',
  ]);
});

test('UTC by default, and Europe/Berlin across its own change', () => {
  assert.deepEqual(runs('0 3 * * *', 'UTC', '2026-03-28T12:00:00Z', 1), ['2026-03-29T03:00:00.000Z']);
  assert.deepEqual(runs('0 3 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z', 2), ['2026-03-29T01:00:00.000Z', '2026-03-30T01:00:00.000Z']);
});

test('6 fields: the first is seconds', () => {
  assert.deepEqual(runs('*/15 * * * * *', 'UTC', '2026-01-01T00:00:00Z', 3), [
    '2026-01-01T00:00:15.000Z',
    '2026-01-01T00:00:30.000Z',
    '2026-01-01T00:00:45.000Z',
  ]);
});

test('latestRun includes the exact moment of a tick', () => {
  const spec = parseCron('0 * * * *');
  assert.equal(latestRun(spec, new Date('2026-01-01T05:00:00Z')).toISOString(), '2026-01-01T05:00:00.000Z');
  assert.equal(latestRun(spec, new Date('2026-01-01T05:59:59Z')).toISOString(), '2026-01-01T05:00:00.000Z');
});

test('invalid specs are refused with the reason', () => {
  const refused = (expression: string, timezone: string | undefined, reason: RegExp) =>
    assert.throws(() => parseCron(expression, timezone), (err: unknown) => err instanceof InvalidCronError && reason.test(err.message));
  refused('* * * *', undefined, /expected 5 fields .* or 6 .*, got 4/);
  refused('0 0 0 * * * *', undefined, /got 7/);
  refused('61 * * * *', undefined, /61/);
  refused('0 3 * * *', 'Mars/Olympus', /unknown timezone "Mars\/Olympus"/);
  refused('every day', undefined, /got 2/);
});
