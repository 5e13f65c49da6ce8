import { LIVE_STATUSES } from '../../job-status.js';
import type { ThroughputBucket } from '../../postgres/ops/web-reads.js';
import { age, count } from '../display.js';
import { html, jsonForHtml, type Html } from '../html.js';
import { href, type PageContext, type PageRenderer } from '../page.js';
import { depthTable } from './depth-table.js';

/** Chart data as uPlot wants it: x in unix seconds, then one array per series. */
function chartData(buckets: ThroughputBucket[]): number[][] {
  return [
    buckets.map((b) => Math.floor(new Date(b.at).getTime() / 1_000)),
    buckets.map((b) => b.finished - b.failed),
    buckets.map((b) => b.failed),
  ];
}

function chart(id: string, title: string, buckets: ThroughputBucket[]): Html {
  const total = buckets.reduce((sum, b) => sum + b.finished, 0);
  const failed = buckets.reduce((sum, b) => sum + b.failed, 0);
  return html`<figure class="chart-box">
    <figcaption>${title}: <strong>${count(total)}</strong> finished, <strong class="${failed ? 'bad' : ''}">${count(failed)}</strong> failed</figcaption>
    <div class="chart" id="${id}" data-series="${jsonForHtml(chartData(buckets))}" data-labels='["succeeded","failed"]'></div>
  </figure>`;
}

export const overviewPage: PageRenderer = async (ctx: PageContext) => {
  const o = await ctx.reads.overview();
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
      ${ctx.live('per-minute', chart('chart-minute', 'Last hour, per minute', o.perMinute))}
      ${ctx.live('per-hour', chart('chart-hour', 'Last day, per hour', o.perHour))}
    </div>
    <h2>Depth per entrypoint</h2>
    ${ctx.live('depth', depthTable(ctx, o.depth, o.paused))}`;
  return { title: 'Overview', section: 'Overview', body };
};
