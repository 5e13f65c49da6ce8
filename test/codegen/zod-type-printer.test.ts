/**
 * The zod printer (types from the zod objects, no TypeScript) must print exactly what the
 * TypeScript checker prints, or decline. Both print the same schemas here: every job the zod
 * printer takes must come out identical, and the jobs it must decline (whose printing depends
 * on what only the checker sees) must be declined.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { declarationLiterals } from '../../codegen/checker-settings.js';
import { loadSchema } from '../../codegen/load-schema.js';
import { printTypes } from '../../codegen/print-types.js';
import { scanSource } from '../../codegen/source-scan.js';
import { printJobTypes } from '../../codegen/type-printer.js';
import { LiteralOrder, printJobTypesFromZod } from '../../codegen/zod-type-printer.js';
import { makeProject, type Project } from '../support/project.js';

const projects: Project[] = [];
after(() => projects.forEach((p) => p.remove()));

/** Shapes the zod printer takes: each job's four types must equal the checker's. */
const PRINTABLE = `import { z } from 'zod';
import { defineJobs } from 'pgqueuer';

const address = z.object({ street: z.string(), city: z.string().optional(), country: z.enum(['nl', 'de', 'fr']).default('nl') });

export default defineJobs({
  scalars: {
    payload: z.object({ s: z.string().min(1), e: z.email(), n: z.number().int(), i: z.int(), b: z.boolean(), big: z.bigint(), d: z.date(), when: z.iso.datetime(), u: z.url() }),
    result: z.object({ ok: z.boolean(), count: z.number() }),
  },
  optionals: {
    payload: z.object({ o: z.string().optional(), dn: z.number().default(3), pf: z.string().prefault('x'), nu: z.string().nullable(), nuo: z.string().nullable().optional(), on: z.string().optional().nullable(), db: z.boolean().default(false) }),
    result: z.union([z.string(), z.number()]),
  },
  literals: {
    payload: z.object({ kind: z.enum(['low', 'mid', 'top']), one: z.literal('only'), several: z.literal(['red', 'green']), solo: z.enum(['single']), kindLater: z.enum(['top', 'low']) }),
    result: z.enum(['done', 'skipped']),
  },
  nested: {
    payload: z.object({ home: address, work: address.optional(), list: z.array(address), deep: z.object({ inner: z.object({ v: z.number().nullable() }) }) }),
    result: z.array(z.string()),
  },
  collections: {
    payload: z.object({
      tags: z.array(z.string()).default([]),
      matrix: z.array(z.array(z.number())),
      mixed: z.array(z.union([z.string(), z.number()])),
      maybe: z.array(z.string().nullable()),
      counts: z.record(z.string(), z.number()),
      byName: z.record(z.string(), z.object({ seen: z.boolean() })),
      pair: z.tuple([z.string(), z.number()]),
      either: z.union([z.string(), z.number(), z.boolean(), z.null()]),
      objOrNull: z.object({ x: z.string() }).nullable(),
      anything: z.unknown(),
      whatever: z.any(),
      nothing: z.null(),
    }),
    result: z.object({ n: z.number() }).nullable(),
  },
  wrapped: {
    payload: z.object({ levels: z.array(z.enum(['debug', 'info'])), maybeLevel: z.enum(['warn', 'severe']).nullable(), lvlOpt: z.enum(['trace', 'fatal']).optional(), lit: z.union([z.literal('enabled'), z.literal('disabled')]).default('enabled'), nullOnly: z.null().optional(), recOpt: z.record(z.string(), z.string().optional()), tup: z.tuple([z.enum(['x1', 'x2']), z.boolean().nullable()]), arrArr: z.array(z.array(z.enum(['q1', 'q2'])).nullable()), unk: z.unknown().optional(), anyOpt: z.any().optional() }),
    result: z.string().optional(),
  },
  nullish: { payload: z.object({ s: z.string().nullish(), n: z.number().nullable().default(null), big: z.bigint().optional(), dt: z.date().nullable(), dOpt: z.date().optional() }), result: z.array(z.object({ id: z.string(), tags: z.array(z.string()).optional() })) },
  unions: { payload: z.object({ u: z.union([z.boolean(), z.string()]).nullable(), u2: z.union([z.number(), z.null(), z.bigint()]), u3: z.union([z.string(), z.array(z.string())]), u4: z.union([z.literal('lit1'), z.null(), z.literal('lit2')]), u5: z.union([z.string(), z.object({ k: z.string() })]) }), result: z.null() },
  defaults: { payload: z.object({ o: z.object({ a1: z.string().optional(), b1: z.number() }).default({ b1: 1 }), p: z.object({ c1: z.string() }).prefault({ c1: 'x' }) }), result: z.boolean() },
  scheduled: { schedule: '0 3 * * *', timezone: 'Europe/Amsterdam' },
});
`;

/** Jobs whose printing depends on what only the checker knows: the zod printer must decline them. */
const DECLINED = `import { z } from 'zod';
import { defineJobs } from 'pgqueuer';

export default defineJobs({
  // 'zz' is made a literal type here first, so the checker prints the next job's 'zz' | 'xx': both printers agree.
  first: { payload: z.object({ k: z.enum(['zz', 'yy']) }) },
  reordered: { payload: z.object({ k: z.enum(['xx', 'zz']) }) },
  // 'hold' is also a literal of pgqueuer's option types, and written twice here.
  option: { payload: z.object({ f: z.enum(['log', 'hold']) }), onFailure: 'hold' },
  // 'kind' is a property name: the checker may have made it a literal type already.
  named: { payload: z.object({ kind: z.string(), which: z.enum(['name', 'kind']) }) },
  transformed: { payload: z.object({ n: z.string().transform((s) => s.length) }) },
  coerced: { payload: z.object({ n: z.coerce.number() }) },
  lazy: { payload: z.object({ n: z.lazy(() => z.number()) }) },
  loose: { payload: z.looseObject({ n: z.number() }) },
  empty: { payload: z.object({}) },
  unionOfObjects: { payload: z.object({ u: z.union([z.object({ a: z.string() }), z.object({ b: z.number() })]) }) },
  transformedResult: { payload: z.object({ n: z.number() }), result: z.number().transform(String) },
});
`;

async function both(source: string) {
  const p = makeProject({ 'src/jobs.schema.ts': source });
  projects.push(p);
  const schemaPath = join(p.dir, 'src/jobs.schema.ts');
  const { jobs, inputs } = await loadSchema(schemaPath, p.dir);
  const scan = scanSource(inputs.map((f) => readFileSync(f, 'utf8')));
  const order = new LiteralOrder(scan.strings, () => declarationLiterals(schemaPath));
  order.walk(Object.fromEntries(jobs.map((j) => [j.name, j.definition])));
  const typed = jobs.filter((j) => j.definition.schedule === undefined);
  const checker = await printJobTypes(schemaPath, typed.map((j) => ({ name: j.name, hasResult: j.definition.result !== undefined })));
  return { p, schemaPath, scan, typed, checker, fromZod: (name: string) => printJobTypesFromZod(typed.find((j) => j.name === name)!.definition, order) };
}

test('the zod printer prints what the checker prints, for every shape it takes', { timeout: 180_000 }, async () => {
  const { scan, typed, checker, fromZod } = await both(PRINTABLE);
  assert.equal(scan.needsChecker, undefined);
  for (const job of typed) {
    const printed = fromZod(job.name);
    assert.ok(printed, `the zod printer declined "${job.name}"`);
    assert.deepEqual(printed, checker.get(job.name), job.name);
  }
});

test('the zod printer declines what only the checker can print; printTypes hands those to it', { timeout: 180_000 }, async () => {
  const { p, schemaPath, typed, checker, fromZod } = await both(DECLINED);
  const taken = typed.filter((j) => fromZod(j.name) !== undefined).map((j) => j.name);
  assert.deepEqual(taken, ['first', 'reordered']);
  const { jobs, inputs, packages } = await loadSchema(schemaPath, p.dir);
  const printed = await printTypes({ schemaPath, inputs, packages }, jobs);
  assert.deepEqual(printed.checker?.jobs, typed.map((j) => j.name).filter((n) => !taken.includes(n)));
  assert.deepEqual([...printed.types.keys()], typed.map((j) => j.name), 'declaration order, whichever printed a job');
  for (const job of typed) assert.deepEqual(printed.types.get(job.name), checker.get(job.name), job.name);
});

test('source the checker sees differently from the running schema sends every job to it', () => {
  const cases: Array<[string, string]> = [
    ['const n = z.number() as any;', 'a type assertion'],
    ['const n: z.ZodNumber = z.number();', 'a zod type named in a type position'],
    ["const id = z.string().brand('Id');", 'a branded type'],
    ['const c = z.custom<Buffer>();', 'a call with explicit type arguments'],
    ['const n: number = 1;', 'a type annotation'],
    ['function f(): number { return 1; }', 'a return type annotation'],
    ["enum Kind { a = 'a' }", 'a TypeScript declaration'],
    ['// @ts-expect-error\nconst x = 1;', 'a suppressed type error'],
    ['const b = base.extend({ x: z.string() });', 'a derived object or enum schema'],
    ['const b = z.object({ ...base.shape, x: z.string() });', 'a spread'],
    ['const node = z.object({ get children() { return z.array(node); } });', 'a getter'],
  ];
  for (const [code, reason] of cases) assert.equal(scanSource([code]).needsChecker, reason, code);
  // Words in comments and strings are not code.
  const plain = scanSource(["// works as before: any payload\nconst s = 'cast as any';\nconst k = z.enum(['a', 'b']) as const;"]);
  assert.equal(plain.needsChecker, undefined);
  assert.equal(plain.strings.get('a'), 1);
});
