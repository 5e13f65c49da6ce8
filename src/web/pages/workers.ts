import { age, instant } from '../display.js';
import { html } from '../html.js';
import type { PageContext, PageRenderer } from '../page.js';

const SHOWN = 500;

export const workersPage: PageRenderer = async (ctx: PageContext) => {
  const { workers, total } = await ctx.reads.workers(SHOWN);
  const table = workers.length
    ? html`<table class="workers"><thead><tr><th>host</th><th class="num">pid</th><th>entrypoints</th><th>started</th><th class="num">heartbeat</th><th>state</th><th>id</th></tr></thead>
      <tbody>${workers.map((w) => {
        const stale = w.heartbeatAgeSeconds > ctx.staleAfterSeconds;
        return html`<tr data-worker="${w.id}" class="${stale ? 'stale' : ''}">
          <td>${w.hostname}</td><td class="num">${w.pid}</td><td>${w.entrypoints.join(', ')}</td><td>${instant(w.startedAt)}</td>
          <td class="num">${age(w.heartbeatAgeSeconds)} ago</td><td>${stale ? html`<span class="badge bad">stale</span>` : 'alive'}</td><td><code>${w.id}</code></td></tr>`;
      })}</tbody></table>
      ${total > workers.length ? html`<p class="muted">${total - workers.length} more not shown.</p>` : ''}`
    : html`<p class="empty">No worker has registered.</p>`;
  const body = html`${ctx.live('workers', table)}
    <p class="muted">Stale: no heartbeat for over ${ctx.staleAfterSeconds}s. A crashed worker's row stays until retention prunes it.</p>`;
  return { title: 'Workers', section: 'Workers', body };
};
