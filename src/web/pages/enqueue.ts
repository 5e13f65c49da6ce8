import { html } from '../html.js';
import { EnqueueForms } from '../enqueue-forms.js';
import { href, type PageContext, type PageRenderer } from '../page.js';

/** A form per job of the manifest (see EnqueueForms); none without a manifest or read-only. */
export const enqueuePage: PageRenderer = async (ctx: PageContext) => {
  if (!ctx.manifest || ctx.readOnly) return null;
  const forms = new EnqueueForms(ctx.manifest);
  const name = /^\/enqueue\/([^/]+)$/.exec(ctx.url.pathname)?.[1];
  const jobs = forms.jobs();
  const chosen = name ? decodeURIComponent(name) : jobs[0];
  const list = html`<nav class="tabs">${jobs.map((j) => html`<a href="${href(ctx, `/enqueue/${encodeURIComponent(j)}`)}" class="${j === chosen ? 'current' : ''}">${j}</a>`)}</nav>`;
  const form = chosen ? forms.render(chosen, href(ctx, `/enqueue/${encodeURIComponent(chosen)}`), ctx.csrf, ctx.refused) : null;
  if (name && !form) return null;
  return { title: chosen ? `Enqueue ${chosen}` : 'Enqueue', section: 'Enqueue', body: html`${list}${form ?? html`<p class="empty">The manifest has no job with a payload.</p>`}` };
};
