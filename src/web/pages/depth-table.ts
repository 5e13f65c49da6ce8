import { LIVE_STATUSES } from '../../job-status.js';
import type { QueueDepthRow } from '../../postgres/ops/web-reads.js';
import { count } from '../display.js';
import { html, type Html } from '../html.js';
import { href, type PageContext } from '../page.js';

/** Live jobs per entrypoint and status, each count a link to those jobs. */
export function depthTable(ctx: PageContext, depth: QueueDepthRow[], paused: string[]): Html {
  const byEntrypoint = new Map<string, Map<string, QueueDepthRow>>();
  for (const row of depth) {
    const statuses = byEntrypoint.get(row.entrypoint) ?? new Map<string, QueueDepthRow>();
    statuses.set(row.status, row);
    byEntrypoint.set(row.entrypoint, statuses);
  }
  if (byEntrypoint.size === 0) return html`<p class="empty">No live jobs.</p>`;
  return html`<table class="depth">
    <thead><tr><th>entrypoint</th>${LIVE_STATUSES.map((s) => html`<th class="num">${s}</th>`)}</tr></thead>
    <tbody>${[...byEntrypoint].map(([entrypoint, statuses]) => html`<tr data-entrypoint="${entrypoint}">
      <td><a href="${href(ctx, '/jobs', { entrypoint })}">${entrypoint}</a>${paused.includes(entrypoint) ? html` <span class="badge">paused</span>` : ''}</td>
      ${LIVE_STATUSES.map((status) => {
        const row = statuses.get(status);
        return html`<td class="num" data-status="${status}">${row ? html`<a href="${href(ctx, '/jobs', { entrypoint, status })}">${count(row.count, row.capped)}</a>` : '0'}</td>`;
      })}
    </tr>`)}</tbody>
  </table>`;
}
