import { JOB_STATUSES } from '../../job-status.js';
import { SEARCH_SCAN } from '../../postgres/ops/web-reads.js';
import type { AnyJobStatus, JobSummary } from '../../types.js';
import { firstLine, instant } from '../display.js';
import { html, type Html } from '../html.js';
import { href, statusTag, type PageContext, type PageRenderer } from '../page.js';

const PAGE_SIZE = 50;

/** What a row shows of a job: a listed JobSummary or a search hit. */
type JobRow = Pick<JobSummary, 'id' | 'entrypoint' | 'status' | 'attempts' | 'createdAt'> & { error?: JobSummary['error'] | null };

export function jobRows(ctx: PageContext, jobs: JobRow[], options: { select?: boolean } = {}): Html {
  return html`${jobs.map((job) => html`<tr data-job="${job.id}">
    ${options.select ? html`<td><input type="checkbox" name="id" value="${job.id}" form="bulk" aria-label="select job ${job.id}"></td>` : ''}
    <td class="num"><a href="${href(ctx, `/jobs/${job.id}`)}">${job.id}</a></td>
    <td>${job.entrypoint}</td>
    <td>${statusTag(job.status)}</td>
    <td class="num">${job.attempts}</td>
    <td>${instant(job.createdAt)}</td>
    <td class="error">${job.error ? `${job.error.name}: ${firstLine(job.error.message)}` : ''}</td>
  </tr>`)}`;
}

export const jobsPage: PageRenderer = async (ctx: PageContext) => {
  const q = ctx.url.searchParams;
  const id = q.get('id')?.trim();
  if (id) return /^\d+$/.test(id) ? { redirect: href(ctx, `/jobs/${id}`) } : { redirect: href(ctx, '/jobs', { notice: `"${id}" is not a job id` }) };
  const entrypoint = q.get('entrypoint')?.trim() || undefined;
  const statusParam = q.get('status') ?? '';
  const status = (JOB_STATUSES as readonly string[]).includes(statusParam) ? (statusParam as AnyJobStatus) : undefined;
  const afterParam = Number(q.get('after'));
  const after = Number.isSafeInteger(afterParam) && afterParam > 0 ? afterParam : undefined;
  const text = q.get('q')?.trim() || undefined;
  // A text search is bounded (JSON has no index) and has no pages; the listing pages by id.
  const page: { jobs: JobRow[]; next: number | null } = text
    ? { jobs: await ctx.reads.searchJobs({ text, entrypoint: entrypoint ?? null, status: status ?? null, limit: PAGE_SIZE }), next: null }
    : await ctx.pgq.listJobs({ entrypoint, status, limit: PAGE_SIZE, after });

  const filters = html`<form class="filters" method="get" action="${href(ctx, '/jobs')}"
      hx-get="${href(ctx, '/jobs')}" hx-target="#jobs" hx-select="#jobs" hx-swap="outerHTML" hx-push-url="true"
      hx-trigger="change, submit, input changed delay:400ms from:input[name=entrypoint], input changed delay:400ms from:input[name=q]">
    <label>entrypoint <input name="entrypoint" value="${entrypoint ?? ''}" placeholder="any" autocomplete="off"></label>
    <label>status <select name="status"><option value="">any</option>
      ${JOB_STATUSES.map((s) => html`<option value="${s}"${s === status ? html` selected` : ''}>${s}</option>`)}</select></label>
    <label>text <input name="q" value="${text ?? ''}" placeholder="in payload or headers" autocomplete="off"></label>
    <label>id <input name="id" inputmode="numeric" size="10" placeholder="job id"></label>
    <button type="submit">Filter</button>
  </form>`;
  const table = page.jobs.length
    ? html`<table class="jobs"><thead><tr><th class="num">id</th><th>entrypoint</th><th>status</th><th class="num">attempts</th><th>created</th><th>error</th></tr></thead>
        <tbody>${jobRows(ctx, page.jobs)}</tbody></table>`
    : html`<p class="empty">No jobs match.</p>`;
  const pager = html`<nav class="pager">
    ${after ? html`<a href="${href(ctx, '/jobs', { entrypoint, status })}" rel="first">Newest</a>` : ''}
    ${page.next !== null ? html`<a href="${href(ctx, '/jobs', { entrypoint, status, after: page.next })}" rel="next">Older →</a>` : ''}
  </nav>`;
  const scope = text
    ? html`<p class="muted" data-field="search-scope">Text searched in the newest ${SEARCH_SCAN.toLocaleString('en-US')} live jobs and ${SEARCH_SCAN.toLocaleString('en-US')} log entries; a successful job keeps no payload.</p>`
    : '';
  const body = html`${filters}<div id="jobs">${scope}${table}${text ? '' : pager}</div>`;
  return { title: 'Jobs', section: 'Jobs', body };
};
