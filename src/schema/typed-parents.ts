import { ConfigError } from '../errors.js';
import { shown } from '../shown-value.js';
import type { Job, JobContext, JobHeaders } from '../types.js';
import type { JobDefinition } from './define-jobs.js';

/**
 * The header a typed dependent job carries: its parents' ids by the names of its schema
 * entry's `after` ({ images: [3, 4] }), so its handler gets `ctx.parents.images` in that order.
 */
export const PARENT_NAMES_HEADER = 'pgq-parent-names';

/**
 * A typed enqueue's `after` ({ images: [handle, …] }) as the core's flat list of ids and the
 * header that names them. Checked at run time too (a JavaScript caller has no compiler): each
 * name the schema gives, and only those, with handles of the entrypoint it names.
 */
export function typedAfter(job: string, def: JobDefinition, after: unknown): { after: number[]; headers: JobHeaders } {
  const spec = def.after!;
  const where = `enqueue.${job}: after`;
  if (after === null || typeof after !== 'object' || Array.isArray(after)) {
    throw new ConfigError(`${where} must be { ${Object.keys(spec).map((k) => `${k}: [handles]`).join(', ')} }, got ${shown(after)}`);
  }
  for (const key of Object.keys(after)) {
    if (!(key in spec)) throw new ConfigError(`${where}: "${key}" is not a parent of ${job} (its parents: ${Object.keys(spec).join(', ')})`);
  }
  const names: Record<string, number[]> = {};
  for (const [key, parentJob] of Object.entries(spec)) {
    const handles = (after as Record<string, unknown>)[key];
    if (!Array.isArray(handles)) throw new ConfigError(`${where}.${key} must be an array of ${parentJob} handles, got ${shown(handles)}`);
    names[key] = handles.map((h: unknown, i) => {
      const handle = h as { id?: unknown; entrypoint?: unknown } | null;
      if (handle === null || handle?.entrypoint !== parentJob || typeof handle.id !== 'number') {
        throw new ConfigError(`${where}.${key}[${i}] must be a handle of a ${parentJob} job, got ${shown(h)}`);
      }
      return handle.id;
    });
  }
  return { after: Object.values(names).flat(), headers: { [PARENT_NAMES_HEADER]: names } };
}

/** The handler's context of a typed dependent job: `ctx.parents` by name, each parent's result in order. */
export function namedParentsContext(job: Job, ctx: JobContext): JobContext {
  const names = job.headers[PARENT_NAMES_HEADER] as Record<string, number[]> | undefined;
  if (!names) return ctx;
  const byId = new Map(ctx.parents.map((p) => [p.id, p.result]));
  const parents = Object.fromEntries(Object.entries(names).map(([name, ids]) => [name, ids.map((id) => byId.get(id))]));
  // Not a spread: `signal` is a getter that makes its AbortController on first read.
  return {
    get signal() {
      return ctx.signal;
    },
    logger: ctx.logger,
    parents: parents as never,
  };
}
