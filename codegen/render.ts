import { dirname, relative } from 'node:path';
import type { ResolvedConfig } from './config.js';
import type { JobInfo } from './load-schema.js';
import { render } from './templates.js';
import type { JobTypes, PrintedType } from './type-printer.js';

/** `sendEmail` → `SendEmail`, for type names. */
function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** A relative module specifier from one file to another, as ESM wants it (`./x.js`). */
function moduleSpecifier(fromFile: string, toFile: string): string {
  let spec = relative(dirname(fromFile), toFile).replaceAll('\\', '/');
  spec = spec.replace(/\.(c|m)?tsx?$/, (ext) => ext.replace('t', 'j'));
  return spec.startsWith('.') ? spec : `./${spec}`;
}

function declare(name: string, type: PrintedType, docs: Record<string, string> = {}): string {
  if (type.kind === 'alias') return `export type ${name} = ${type.text};`;
  const members = type.members.map((m) => {
    const key = /^[A-Za-z_$][\w$]*$/.test(m.name) ? m.name : JSON.stringify(m.name);
    const doc = docs[m.name] ? `  /** ${docs[m.name]!.replaceAll('*/', '*\\/')} */\n` : '';
    return `${doc}  ${key}${m.optional ? '?' : ''}: ${m.type};`;
  });
  return `export interface ${name} {\n${members.join('\n')}\n}`;
}

/** Property descriptions (zod `.describe()`), shown as doc comments on the generated fields. */
function descriptions(schema: Record<string, unknown> | null): Record<string, string> {
  const properties = (schema?.properties ?? {}) as Record<string, { description?: unknown }>;
  return Object.fromEntries(
    Object.entries(properties)
      .filter(([, p]) => typeof p.description === 'string')
      .map(([k, p]) => [k, p.description as string]),
  );
}

/** The same type printed twice needs one declaration; the second name becomes an alias. */
function declareOrAlias(name: string, type: PrintedType, same: { name: string; type: PrintedType } | undefined, docs?: Record<string, string>): string {
  if (same && JSON.stringify(same.type) === JSON.stringify(type)) return `export type ${name} = ${same.name};`;
  return declare(name, type, docs);
}

export function renderClient(config: ResolvedConfig, jobs: readonly JobInfo[], types: Map<string, JobTypes>): string {
  const blocks: string[] = [];
  const handlerMembers: string[] = [];
  const enqueueMembers: string[] = [];
  const jobsMembers: string[] = [];
  const used = new Set(['bindClient', 'bindHandlers', 'type JobContext', 'type PgQueuer', 'type TypedJobs']);
  // Jobs some job waits for: their handles carry their name, so only they fit where they are expected.
  const parents = new Set(jobs.flatMap((job) => Object.values(job.definition.after ?? {})));
  for (const job of jobs) {
    const T = pascal(job.name);
    const def = job.definition;
    if (def.schedule !== undefined) {
      blocks.push(
        render('schedule-types.ts.tpl', {
          name: job.name,
          schedule: def.schedule,
          timezoneNote: def.timezone ? ` (${def.timezone})` : '',
        }),
      );
      handlerMembers.push(`  ${job.name}(tick: ScheduleTick, ctx: JobContext): unknown;`);
      // A tick's job carries the tick's time as its payload.
      jobsMembers.push(`  ${job.name}: TypedJobs<{ scheduledAt: string }, unknown>;`);
      used.add('type ScheduleTick');
      continue;
    }
    const t = types.get(job.name)!;
    const payloadDocs = descriptions(job.payloadSchema);
    const hasResult = t.result !== undefined;
    blocks.push(
      render('job-types.ts.tpl', {
        name: job.name,
        payloadDeclaration: declare(`${T}Payload`, t.payload, payloadDocs),
        parsedDeclaration: declareOrAlias(`${T}Parsed`, t.parsed, { name: `${T}Payload`, type: t.payload }, payloadDocs),
        resultDeclaration: hasResult
          ? [
              declare(`${T}Result`, t.result!),
              declareOrAlias(`${T}ResultInput`, t.resultInput!, { name: `${T}Result`, type: t.result! }),
            ].join('\n')
          : `export type ${T}Result = unknown;`,
      }),
    );
    const returns = hasResult ? `${T}ResultInput | Promise<${T}ResultInput>` : 'unknown';
    const after = Object.entries(def.after ?? {});
    if (after.length > 0) {
      // A failed parent's result is missing when the job runs anyway (onParentFailure: 'run').
      const result = (parent: string) => (def.onParentFailure === 'run' ? `(${pascal(parent)}Result | undefined)` : `${pascal(parent)}Result`);
      const handles = after.map(([key, parent]) => `${key}: JobHandle<${pascal(parent)}Result, '${parent}'>`).join('; ');
      const results = after.map(([key, parent]) => `readonly ${key}: readonly ${result(parent)}[]`).join('; ');
      handlerMembers.push(`  ${job.name}(job: Job<${T}Parsed>, ctx: ParentsContext<{ ${results} }>): ${returns};`);
      enqueueMembers.push(`  ${job.name}: TypedEnqueue<${T}Payload, ${T}Result, '${job.name}', { ${handles} }>;`);
      used.add('type JobHandle');
      used.add('type ParentsContext');
    } else {
      handlerMembers.push(`  ${job.name}(job: Job<${T}Parsed>, ctx: JobContext): ${returns};`);
      enqueueMembers.push(`  ${job.name}: TypedEnqueue<${T}Payload, ${T}Result${parents.has(job.name) ? `, '${job.name}'` : ''}>;`);
    }
    jobsMembers.push(`  ${job.name}: TypedJobs<${T}Payload, ${T}Result>;`);
    used.add('type Job');
    used.add('type TypedEnqueue');
  }
  const order = ['bindClient', 'bindHandlers', 'type Job', 'type JobContext', 'type JobHandle', 'type ParentsContext', 'type PgQueuer', 'type ScheduleTick', 'type TypedEnqueue', 'type TypedJobs'];
  return render('client.ts.tpl', {
    // Relative to the output, not the working directory: the bytes must not depend on where pgq ran.
    schemaPath: moduleSpecifier(config.out, config.schema).replace(/\.js$/, '.ts'),
    importFrom: config.importFrom,
    runtimeImports: order.filter((i) => used.has(i)).map((i) => `  ${i},`).join('\n'),
    schemaImport: moduleSpecifier(config.out, config.schema),
    types: blocks.join('\n'),
    handlerMembers: handlerMembers.join('\n'),
    enqueueMembers: enqueueMembers.join('\n'),
    jobsMembers: jobsMembers.join('\n'),
  });
}

export function renderManifest(config: ResolvedConfig, jobs: readonly JobInfo[]): string {
  const manifest = {
    generatedBy: 'pgq generate',
    schemaFile: relative(dirname(config.manifest), config.schema).replaceAll('\\', '/'),
    jobs: Object.fromEntries(jobs.map((job) => [job.name, manifestEntry(job)])),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** One job's entry in the manifest. */
export function manifestEntry(job: JobInfo): Record<string, unknown> {
  const { payload: _p, previous: _v, result: _r, schedule, timezone, group, ...options } = job.definition;
  return {
    fingerprint: job.fingerprint,
    schedule: schedule ?? null,
    timezone: schedule ? (timezone ?? 'UTC') : null,
    options,
    // The schema computes each job's group with a function no tool reading the manifest can
    // run: the CLI, the dashboard and the MCP server ask for the group instead.
    ...(group ? { grouped: true } : {}),
    payload: job.payloadSchema,
    result: job.resultSchema,
    // Oldest first, as in the schema file: the versions a worker still reads.
    previous: job.previous,
  };
}

export function renderStub(config: ResolvedConfig, job: JobInfo, file: string): string {
  const def = job.definition;
  return def.schedule !== undefined
    ? render('schedule-stub.ts.tpl', {
        name: job.name,
        generatedImport: moduleSpecifier(file, config.out),
        // The spec is quoted inside a doc comment, where "*/" would end it.
        schedule: def.schedule.replaceAll('*/', '*\\/'),
        timezoneNote: def.timezone ? ` (${def.timezone})` : '',
      })
    : render('handler-stub.ts.tpl', { name: job.name, generatedImport: moduleSpecifier(file, config.out) });
}

export function renderHandlersIndex(jobs: readonly JobInfo[]): string {
  return render('handlers-index.ts.tpl', {
    exports: jobs.map((job) => `export { ${job.name} } from './${job.name}.js';`).join('\n'),
  });
}
