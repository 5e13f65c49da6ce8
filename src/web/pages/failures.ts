import type { AnyJobStatus } from '../../types.js';
import { html } from '../html.js';
import { href, type PageContext, type PageRenderer } from '../page.js';
import { jobRows } from './jobs.js';

const KINDS: readonly [status: AnyJobStatus, label: string][] = [
  ['held', 'Held'],
  ['exception', 'Failed'],
  ['canceled', 'Canceled'],
];
const PAGE_SIZE = 100;

/**
 * Jobs that stopped short, newest first: held ones (kept, requeued under their id) and
 * finished failures (requeued as new jobs). Select many, then requeue or delete them.
 */
export const failuresPage: PageRenderer = async (ctx: PageContext) => {
  const q = ctx.url.searchParams;
  const status = KINDS.find(([s]) => s === q.get('status'))?.[0] ?? 'held';
  const entrypoint = q.get('entrypoint')?.trim() || undefined;
  const afterParam = Number(q.get('after'));
  const after = Number.isSafeInteger(afterParam) && afterParam > 0 ? afterParam : undefined;
  const page = await ctx.pgq.listJobs({ status, entrypoint, limit: PAGE_SIZE, after });
  const tabs = KINDS.map(([s, label]) => html`<a href="${href(ctx, '/failures', { status: s, entrypoint })}" class="${s === status ? 'current' : ''}">${label}</a>`);
  const selectable = !ctx.readOnly && page.jobs.length > 0;
  const bulk = selectable
    ? html`<form id="bulk" method="post" action="${href(ctx, '/failures/requeue')}" class="bulk">
        <input type="hidden" name="_csrf" value="${ctx.csrf}">
        <input type="hidden" name="back" value="${ctx.url.pathname + ctx.url.search}">
        <label><input type="checkbox" data-select-all="id"> all on this page</label>
        <button type="submit">Requeue selected</button>
        ${status === 'held' ? html`<button type="submit" formaction="${href(ctx, '/failures/delete')}" class="danger" data-confirm="Delete the selected jobs?">Delete selected</button>` : ''}
      </form>`
    : html``;
  const table = page.jobs.length
    ? html`<table class="jobs failures"><thead><tr>${selectable ? html`<th></th>` : ''}<th class="num">id</th><th>entrypoint</th><th>status</th><th class="num">attempts</th><th>created</th><th>error</th></tr></thead>
        <tbody>${jobRows(ctx, page.jobs, { select: selectable })}</tbody></table>`
    : html`<p class="empty">No ${status} jobs.</p>`;
  const pager = html`<nav class="pager">
    ${after ? html`<a href="${href(ctx, '/failures', { status, entrypoint })}">Newest</a>` : ''}
    ${page.next !== null ? html`<a href="${href(ctx, '/failures', { status, entrypoint, after: page.next })}" rel="next">Older →</a>` : ''}
  </nav>`;
  return { title: 'Failures', section: 'Failures', body: html`<nav class="tabs">${tabs}</nav>${bulk}${table}${pager}` };
};
