import type { PgQueuer } from '../pgqueuer.js';
import { tickPayload } from '../port/system-records.js';
import type { EnqueueForms, RefusedForm } from './enqueue-forms.js';

/** The outcome of a POST: where to send the browser next and what to tell the operator. */
export interface ActionOutcome {
  /** Dashboard-relative path to redirect to; default: the page the form came from. A refusal is a notice too: the operator reads it where they were. */
  to?: string;
  notice: string;
  /** An enqueue form the server refused: shown again (400) instead of a redirect. */
  refused?: RefusedForm;
}

const ids = (form: URLSearchParams): number[] =>
  form.getAll('id').map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The state-changing requests, each one call of the lifecycle API. Paths are relative to
 * the dashboard; undefined when the path is not an action.
 */
export async function runAction(path: string, form: URLSearchParams, pgq: PgQueuer, forms: EnqueueForms | null): Promise<ActionOutcome | undefined> {
  let m: RegExpExecArray | null;
  if ((m = /^\/entrypoints\/([^/]+)\/(pause|resume)$/.exec(path))) {
    const name = decodeURIComponent(m[1]!);
    if (m[2] === 'pause') await pgq.pause(name);
    else await pgq.resume(name);
    return { notice: `${name} ${m[2] === 'pause' ? 'paused' : 'resumed'}` };
  }
  if ((m = /^\/schedules\/([^/]+)\/run$/.exec(path))) {
    // One extra tick, exactly what the scheduler enqueues when a tick is due; next_run stays.
    const name = decodeURIComponent(m[1]!);
    const id = await pgq.enqueue(name, tickPayload(new Date()));
    return { to: `/jobs/${id}`, notice: `${name} ticked now as job ${id}` };
  }
  if ((m = /^\/jobs\/(\d+)\/(cancel|requeue|delete)$/.exec(path))) {
    const id = Number(m[1]);
    if (m[2] === 'cancel') {
      const found = await pgq.cancel([id]);
      return { notice: found.length ? `job ${id} canceled` : `job ${id} was not live: nothing to cancel` };
    }
    if (m[2] === 'requeue') {
      const [now] = await pgq.requeue([id]);
      if (now === undefined) return { notice: `job ${id} cannot be requeued (only held, failed or canceled jobs)` };
      return { to: `/jobs/${now}`, notice: now === id ? `job ${id} requeued` : `job ${id} requeued as job ${now}` };
    }
    const deleted = await pgq.deleteJobs([id]);
    return deleted.length
      ? { to: '/jobs', notice: `job ${id} deleted` }
      : { notice: `job ${id} was not deleted (only queued, scheduled, held or blocked jobs; cancel a running one)` };
  }
  if ((m = /^\/failures\/(requeue|delete)$/.exec(path))) {
    const selected = ids(form);
    if (selected.length === 0) return { notice: 'no job selected' };
    if (m[1] === 'requeue') {
      const now = await pgq.requeue(selected);
      return { notice: `${plural(now.length, 'job')} requeued${now.length < selected.length ? ` (${selected.length - now.length} could not be)` : ''}` };
    }
    const deleted = await pgq.deleteJobs(selected);
    return { notice: `${plural(deleted.length, 'job')} deleted${deleted.length < selected.length ? ` (${selected.length - deleted.length} could not be)` : ''}` };
  }
  if ((m = /^\/enqueue\/([^/]+)$/.exec(path)) && forms) {
    return forms.enqueue(decodeURIComponent(m[1]!), form, pgq);
  }
  return undefined;
}
