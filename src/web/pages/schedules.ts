import { age, instant } from '../display.js';
import { html } from '../html.js';
import { actionForm, href, type PageContext, type PageRenderer } from '../page.js';

export const schedulesPage: PageRenderer = async (ctx: PageContext) => {
  const [schedules, paused] = await Promise.all([ctx.pgq.listSchedules(), ctx.reads.paused()]);
  const now = Date.now();
  const table = schedules.length
    ? html`<table class="schedules"><thead><tr><th>name</th><th>expression</th><th>timezone</th><th>missed ticks</th><th>last run</th><th>next run</th><th>state</th>${ctx.readOnly ? '' : html`<th></th>`}</tr></thead>
      <tbody>${schedules.map((s) => html`<tr data-schedule="${s.name}">
        <td><a href="${href(ctx, '/jobs', { entrypoint: s.name })}">${s.name}</a></td><td><code>${s.expression}</code></td><td>${s.timezone}</td><td>${s.missed}</td>
        <td>${instant(s.lastRun)}</td>
        <td>${instant(s.nextRun)} <span class="muted">(${s.nextRun.getTime() >= now ? `in ${age((s.nextRun.getTime() - now) / 1_000)}` : 'due'})</span></td>
        <td data-state="${paused.includes(s.name) ? 'paused' : 'active'}">${paused.includes(s.name) ? html`<span class="badge">paused</span>` : 'active'}</td>
        ${ctx.readOnly ? '' : html`<td>${actionForm(ctx, `/schedules/${encodeURIComponent(s.name)}/run`, 'Run now')}
          ${paused.includes(s.name)
            ? actionForm(ctx, `/entrypoints/${encodeURIComponent(s.name)}/resume`, 'Resume')
            : actionForm(ctx, `/entrypoints/${encodeURIComponent(s.name)}/pause`, 'Pause')}</td>`}</tr>`)}</tbody></table>`
    : html`<p class="empty">No schedules registered.</p>`;
  const body = html`${ctx.live('schedules', table)}
    <p class="muted">A schedule's ticks are jobs of the entrypoint of the same name. Run now enqueues one extra tick (its next run stays); Pause pauses that entrypoint, so ticks are still enqueued on time and wait until it is resumed.</p>`;
  return { title: 'Schedules', section: 'Schedules', body };
};
