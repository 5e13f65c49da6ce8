// Type-level checks of payload versions (`previous: [{ payload, upcast }]`). Compiled by
// test/codegen/types.test.ts with strict on (so an untyped `old` would be an implicit any),
// and once more without the markers to prove each marked line is a real error.
import { z } from 'zod';
import { defineJobs } from 'pgqueuer';

// Many jobs, several versions each: every `old` is inferred from its own version's schema.
export const schema = defineJobs({
  sendEmail: {
    payload: z.object({ to: z.email(), subject: z.string(), locale: z.string(), priority: z.number().default(0) }),
    result: z.object({ messageId: z.string() }),
    retry: { maxAttempts: 3 },
    previous: [
      { payload: z.object({ to: z.string(), title: z.string() }), upcast: (old) => ({ to: old.to, subject: old.title }) },
      { payload: z.object({ to: z.string(), subject: z.string() }), upcast: (old) => ({ ...old, locale: old.subject.length > 3 ? 'en' : 'nl' }) },
    ],
  },
  resizeImage: {
    payload: z.object({ key: z.string(), widths: z.array(z.number()) }),
    previous: [{ payload: z.object({ key: z.string(), width: z.number() }), upcast: (old) => ({ key: old.key, widths: [old.width] }) }],
  },
  // Defaults and transforms apply before an upcaster sees a version: `old.count` is a number.
  countThings: {
    payload: z.object({ total: z.number() }),
    previous: [{ payload: z.object({ count: z.string().transform(Number).default(0) }), upcast: (old) => ({ total: old.count * 2 }) }],
  },
  plain: { payload: z.object({ id: z.string() }) },
  nightly: { schedule: '0 3 * * *' },
});

// The parsed types of each version are what each upcaster's `old` is.
const first = schema.jobs.sendEmail.previous[0].upcast;
export const fromOld: { to: string; subject: string } = first({ to: 'a', title: 't' });

export const wrongReturn = defineJobs({
  job: {
    payload: z.object({ a: z.string() }),
    // @ts-expect-error -- the upcaster must return the next version's input: a is a string
    previous: [{ payload: z.object({ b: z.number() }), upcast: (old) => ({ a: old.b }) }],
  },
});

export const missingField = defineJobs({
  job: {
    payload: z.object({ a: z.string(), b: z.string() }),
    previous: [
      { payload: z.object({ a: z.string() }), upcast: (old) => ({ ...old, b: 'x' }) },
      // @ts-expect-error -- b is required by the current payload
      { payload: z.object({ a: z.string(), b: z.string().optional() }), upcast: (old) => ({ a: old.a }) },
    ],
  },
});

export const chainOrder = defineJobs({
  job: {
    payload: z.object({ c: z.string() }),
    previous: [
      // @ts-expect-error -- an upcaster returns the entry after it (here { b }), not the current payload
      { payload: z.object({ a: z.string() }), upcast: (old) => ({ c: old.a }) },
      { payload: z.object({ b: z.string() }), upcast: (old) => ({ c: old.b }) },
    ],
  },
});

export const unknownField = defineJobs({
  job: {
    payload: z.object({ a: z.string() }),
    // @ts-expect-error -- old is that version's payload: it has no field "zzz"
    previous: [{ payload: z.object({ b: z.number() }), upcast: (old) => ({ a: String(old.zzz) }) }],
  },
});

export const noUpcast = defineJobs({
  job: {
    payload: z.object({ a: z.string() }),
    // @ts-expect-error -- every earlier version needs its upcaster
    previous: [{ payload: z.object({ b: z.number() }) }],
  },
});

export const notZod = defineJobs({
  job: {
    payload: z.object({ a: z.string() }),
    // @ts-expect-error -- a version's payload is a zod object schema
    previous: [{ payload: { b: 1 }, upcast: () => ({ a: 'x' }) }],
  },
});

export const stillExact = defineJobs({
  // @ts-expect-error -- a typo'd option is still refused next to "previous"
  job: { payload: z.object({ a: z.string() }), previous: [{ payload: z.object({ b: z.number() }), upcast: (old) => ({ a: String(old.b) }) }], retri: 3 },
});
