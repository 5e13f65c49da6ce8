import type { JobError, JobInfo } from '../../types.js';
import { duration, instant, prettyJson } from '../display.js';
import { html, type Html } from '../html.js';
import { actionForm, href, statusTag, type PageContext, type PageRenderer } from '../page.js';

/** The header a typed producer stamps with the payload schema's fingerprint (schema/json-schema.ts; not imported: it loads zod). */
const FINGERPRINT_HEADER = 'pgq-fingerprint';

export function errorBlock(error: JobError | undefined): Html {
  if (!error) return html``;
  return html`<div class="error-block">
    <p><strong>${error.name}</strong>: <span class="message">${error.message}</span></p>
    ${error.stack ? html`<details><summary>stack</summary><pre>${error.stack}</pre></details>` : ''}
    ${error.details !== undefined ? html`<details><summary>details</summary><pre>${prettyJson(error.details)}</pre></details>` : ''}
  </div>`;
}

/** The actions that apply to a job in its status (the lifecycle API refuses the others). */
function actions(ctx: PageContext, job: JobInfo): Html {
  const base = `/jobs/${job.id}`;
  const live = ['queued', 'scheduled', 'picked', 'blocked'].includes(job.status);
  return html`<div class="actions">
    ${live ? actionForm(ctx, `${base}/cancel`, 'Cancel', { confirm: `Cancel job ${job.id}?` }) : ''}
    ${['held', 'exception', 'canceled'].includes(job.status) ? actionForm(ctx, `${base}/requeue`, 'Requeue') : ''}
    ${['queued', 'scheduled', 'held', 'blocked'].includes(job.status) ? actionForm(ctx, `${base}/delete`, 'Delete', { danger: true, confirm: `Delete job ${job.id}?` }) : ''}
  </div>`;
}

function summary(ctx: PageContext, job: JobInfo): Html {
  const version = job.headers?.[FINGERPRINT_HEADER];
  return html`<dl class="facts">
    <dt>status</dt><dd data-field="status">${statusTag(job.status)}</dd>
    <dt>entrypoint</dt><dd><a href="${href(ctx, '/jobs', { entrypoint: job.entrypoint })}">${job.entrypoint}</a></dd>
    <dt>priority</dt><dd>${job.priority}</dd>
    <dt>attempts</dt><dd data-field="attempts">${job.attempts}</dd>
    <dt>created</dt><dd>${instant(job.createdAt)}</dd>
    <dt>runs after</dt><dd>${instant(job.executeAfter)}</dd>
    ${version ? html`<dt>schema version</dt><dd><code>${String(version)}</code></dd>` : ''}
    ${job.requeuedFrom !== undefined ? html`<dt>requeued from</dt><dd><a href="${href(ctx, `/jobs/${job.requeuedFrom}`)}">${job.requeuedFrom}</a></dd>` : ''}
    ${job.parents?.length ? html`<dt>waits for</dt><dd data-field="parents">${jobLinks(ctx, job.parents)}</dd>` : ''}
    ${job.children.length > 0 ? html`<dt>children</dt><dd data-field="children">${jobLinks(ctx, job.children)}</dd>` : ''}
  </dl>`;
}

/** Links to related jobs (parents, children), comma-separated. */
function jobLinks(ctx: PageContext, ids: readonly number[]): Html {
  return html`${ids.map((id, i) => html`${i > 0 ? ', ' : ''}<a href="${href(ctx, `/jobs/${id}`)}">${id}</a>`)}`;
}

function history(job: JobInfo): Html {
  if (job.history.length === 0) return html`<p class="empty">No attempt finished yet.</p>`;
  return html`<table class="history"><thead><tr><th class="num">attempt</th><th>outcome</th><th>started</th><th>finished</th><th class="num">duration</th><th>worker</th></tr></thead>
    <tbody>${job.history.map((a) => html`<tr>
      <td class="num">${a.attempt}</td><td>${statusTag(a.status)}</td><td>${instant(a.startedAt)}</td><td>${instant(a.finishedAt)}</td>
      <td class="num">${duration(a.durationMs)}</td><td><code>${a.workerId ?? '—'}</code></td></tr>
      ${a.error ? html`<tr class="attempt-error"><td></td><td colspan="5">${errorBlock(a.error)}</td></tr>` : ''}`)}</tbody></table>`;
}

export const jobPage: PageRenderer = async (ctx: PageContext) => {
  const id = Number(/^\/jobs\/(\d+)$/.exec(ctx.url.pathname)?.[1]);
  const job = Number.isSafeInteger(id) ? await ctx.pgq.getJob(id) : null;
  if (!job) return null;
  const body = html`
    ${ctx.live('job-summary', html`${summary(ctx, job)}${actions(ctx, job)}`)}
    <div class="columns">
      <section><h2>Payload</h2><pre class="json" data-field="payload">${prettyJson(job.payload)}</pre></section>
      <section><h2>Headers</h2><pre class="json">${prettyJson(job.headers)}</pre></section>
    </div>
    ${ctx.live('job-outcome', html`
      ${job.result !== undefined ? html`<h2>Result</h2><pre class="json" data-field="result">${prettyJson(job.result)}</pre>` : ''}
      ${job.error ? html`<h2>Error</h2>${errorBlock(job.error)}` : ''}
      <h2>Attempts</h2>${history(job)}`)}`;
  return { title: `Job ${job.id}`, section: 'Jobs', body };
};
