// Type-level checks of group limits: the schema's `group` reads a typed payload and returns a
// string; the untyped core takes `group` and `groupConcurrency`. Compiled by
// test/codegen/types.test.ts, and once more without the markers to prove each is a real error.
import { z } from 'zod';
import { defineJobs, type PgQueuer } from 'pgqueuer';
import { createClient } from '../conformance/fixture/pgq.generated.js';

export const schema = defineJobs({
  // `p` is the payload as producers pass it, also beside `previous` and a schedule.
  sendEmail: {
    payload: z.object({ to: z.email(), tenant: z.object({ id: z.string() }) }),
    group: (p) => p.tenant.id,
    groupConcurrency: 2,
  },
  withDefault: { payload: z.object({ tenant: z.string().default('shared') }), group: (p) => p.tenant ?? 'shared' },
  nightly: { schedule: '0 3 * * *' },
});

export const wrongField = defineJobs({
  // @ts-expect-error -- the payload has no such field
  a: { payload: z.object({ tenant: z.string() }), group: (p) => p.customer },
});

export const notAString = defineJobs({
  // @ts-expect-error -- a group is a string
  a: { payload: z.object({ n: z.number() }), group: (p) => p.n },
});

export const maybeMissing = defineJobs({
  // @ts-expect-error -- an optional field may be missing: every job needs its group
  a: { payload: z.object({ tenant: z.string().optional() }), group: (p) => p.tenant },
});

export const notAFunction = defineJobs({
  // @ts-expect-error -- the group comes from each payload, through a function
  a: { payload: z.object({ tenant: z.string() }), group: 'tenant' },
});

// @ts-expect-error -- groupConcurrency is a number (reported on the call)
export const limitNotANumber = defineJobs({
  a: { payload: z.object({ tenant: z.string() }), group: (p) => p.tenant, groupConcurrency: '2' },
});

declare const pgq: PgQueuer;

export async function untyped(): Promise<void> {
  pgq.entrypoint('report', { groupConcurrency: 1 }, async () => {});
  await pgq.enqueue('report', {}, { group: 'tenant-1' });
  await pgq.enqueueMany([{ entrypoint: 'report', payload: {}, group: 'tenant-2' }]);
  await createClient(pgq).enqueue.tenantReport({ tenant: 't', n: 1 });
  // @ts-expect-error -- a group is a string
  await pgq.enqueue('report', {}, { group: 7 });
  // @ts-expect-error -- nor in enqueueMany
  await pgq.enqueueMany([{ entrypoint: 'report', payload: {}, group: null }]);
  // @ts-expect-error -- groupConcurrency is a number
  pgq.entrypoint('report', { groupConcurrency: 'one' }, async () => {});
}
