import { LIVE_STATUSES } from '../../job-status.js';
import { age, count } from '../display.js';
import { html, jsonForHtml, type Html } from '../html.js';
import { href, type PageContext, type PageRenderer } from '../page.js';
import { depthTable } from './depth-table.js';
import type { SeriesPoint } from '../throughput-history.js';

/** Chart data as uPlot wants it: x in unix seconds, then one array per series. */
// A bucket not read yet is null: uPlot leaves a gap rather than drawing a false zero.
function chartData(points: SeriesPoint[]): (number | null)[][] {
  return [
    points.map((p) => Math.floor(p.at.getTime() / 1_000)),
    points.map((p) => (p.finished === null ? null : p.finished - p.failed!)),
    points.map((p) => p.failed),
  ];
}

function chart(id: string, title: string, points: SeriesPoint[], loading: boolean): Html {
  const total = points.reduce((sum, p) => sum + (p.finished ?? 0), 0);
  const failed = points.reduce((sum, p) => sum + (p.failed ?? 0), 0);
  return html`<figure class="chart-box">
    <figcaption>${title}: <strong>${count(total)}</strong> finished, <strong class="${failed ? 'bad' : ''}">${count(failed)}</strong> failed${loading ? html` <span class="muted">(reading history…)</span>` : ''}</figcaption>
    <div class="chart" id="${id}" data-series="${jsonForHtml(chartData(points))}" data-labels='["succeeded","failed"]'></div>
  </figure>`;
}

export const overviewPage: PageRenderer = async (ctx: PageContext) => {
  const [o, series] = await Promise.all([ctx.reads.overview(), ctx.history.read()]);
  const totals = new Map<string, { n: number; capped: boolean }>();
  for (const row of o.depth) {
    const t = totals.get(row.status) ?? { n: 0, capped: false };
    totals.set(row.status, { n: t.n + row.count, capped: t.capped || row.capped });
  }
  const alive = o.workers.filter((w) => w.heartbeatAgeSeconds <= ctx.staleAfterSeconds).length;
  const cards = html`<div class="cards">
    ${LIVE_STATUSES.map((status) => {
      const t = totals.get(status) ?? { n: 0, capped: false };
      return html`<a class="card" href="${href(ctx, '/jobs', { status })}" data-status="${status}">
        <span class="label">${status}</span><span class="value">${count(t.n, t.capped)}</span></a>`;
    })}
    <div class="card" data-card="oldest"><span class="label">oldest queued</span><span class="value">${age(o.oldestQueuedSeconds)}</span></div>
    <a class="card" href="${href(ctx, '/workers')}" data-card="workers"><span class="label">workers alive</span><span class="value">${alive}</span>
      ${o.workerTotal > alive ? html`<span class="sub">${o.workerTotal - alive} stale</span>` : ''}</a>
    <a class="card" href="${href(ctx, '/entrypoints')}" data-card="paused"><span class="label">paused</span><span class="value">${o.paused.length}</span></a>
  </div>`;
  const body = html`
    ${ctx.live('cards', cards)}
    <div class="charts">
      ${ctx.live('per-minute', chart('chart-minute', 'Last hour, per minute', series.minutes, series.minutes.some((p) => p.finished === null)))}
      ${ctx.live('per-hour', chart('chart-hour', 'Last day, per hour', series.hours, series.loading))}
    </div>
    <h2>Depth per entrypoint</h2>
    ${ctx.live('depth', depthTable(ctx, o.depth, o.paused))}`;
  return { title: 'Overview', section: 'Overview', body };
};
