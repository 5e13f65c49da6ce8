/** The schema file's `group` and `groupConcurrency`, checked when the schema is defined. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { defineJobs, SchemaDefinitionError } from 'pgqueuer';

test('defineJobs refuses a bad "group" or "groupConcurrency", naming the job', () => {
  const payload = z.object({ tenant: z.string() });
  const cases: Array<[() => unknown, RegExp]> = [
    [() => defineJobs({ j: { payload, group: 'tenant' } } as never), /"group" must be a function from the payload to its group/],
    [() => defineJobs({ j: { payload, groupConcurrency: 2 } } as never), /"groupConcurrency" limits jobs per group: add "group"/],
    [() => defineJobs({ j: { payload, group: (p: { tenant: string }) => p.tenant, groupConcurrency: 0 } } as never), /groupConcurrency must be a positive integer, got 0/],
    [() => defineJobs({ j: { schedule: '* * * * *', group: () => 'x' } } as never), /"group" does not apply to a scheduled job/],
    [() => defineJobs({ j: { schedule: '* * * * *', groupConcurrency: 1 } } as never), /"groupConcurrency" does not apply to a scheduled job/],
  ];
  for (const [define, message] of cases) {
    assert.throws(define, (err: unknown) => err instanceof SchemaDefinitionError && /"j"|j:/.test(err.message) && message.test(err.message), String(message));
  }
  assert.doesNotThrow(() => defineJobs({ j: { payload, group: (p) => p.tenant, groupConcurrency: 3 } }));
});
