import { LIVE_STATUSES } from '../../job-status.js';
import { count, duration, percent } from '../display.js';
import { html, type Html } from '../html.js';
import { actionForm, href, type PageContext, type PageRenderer } from '../page.js';
import { VERSION_SAMPLE, type QueuedVersionRow } from '../../postgres/ops/web-reads.js';

const WINDOWS: readonly [seconds: number, label: string][] = [
  [300, '5 min'],
  [3_600, '1 hour'],
  [86_400, '24 hours'],
];

/** The limits a job declares in the schema file, as the manifest records them. */
function limits(options: Record<string, unknown> | undefined): Html {
  if (!options) return html`<span class="muted">—</span>`;
  const parts: string[] = [];
  if (typeof options.concurrencyLimit === 'number') parts.push(`concurrency ${options.concurrencyLimit}`);
  if (options.serializedDispatch === true) parts.push('serialized');
  const rate = options.rateLimit as { perSecond?: number; burst?: number } | undefined;
  if (rate?.perSecond) parts.push(`rate ${rate.perSecond}/s${rate.burst ? ` burst ${rate.burst}` : ''}`);
  if (typeof options.groupConcurrency === 'number') parts.push(`group ${options.groupConcurrency}`);
  if (typeof options.timeoutMs === 'number') parts.push(`timeout ${duration(options.timeoutMs)}`);
  const retry = options.retry as { maxAttempts?: number } | undefined;
  if (retry?.maxAttempts) parts.push(`attempts ${retry.maxAttempts}`);
  if (options.onFailure === 'hold') parts.push('holds failures');
  return parts.length ? html`${parts.join(' · ')}` : html`<span class="muted">none</span>`;
}

/** Schema versions of the next queued jobs; the manifest's current one marked, others flagged. */
function versions(rows: QueuedVersionRow[], current: string | undefined): Html {
  if (rows.length === 0) return html`<span class="muted">—</span>`;
  return html`${rows.map((r) => {
    const label = r.fingerprint === null ? 'untyped' : r.fingerprint.slice(0, 8);
    const stale = current !== undefined && r.fingerprint !== null && r.fingerprint !== current;
    return html`<span class="version ${stale ? 'bad' : ''}" title="${r.fingerprint ?? 'no pgq-fingerprint header'}${r.fingerprint === current ? ' (current)' : stale ? ' (not the manifest\'s current version)' : ''}">${label}${r.fingerprint === current ? ' ✓' : ''} ×${r.count}</span> `;
  })}`;
}

export const entrypointsPage: PageRenderer = async (ctx: PageContext) => {
  const requested = Number(ctx.url.searchParams.get('window'));
  const windowSeconds = WINDOWS.some(([s]) => s === requested) ? requested : 3_600;
  const [depth, paused, stats, workers] = await Promise.all([
    ctx.reads.depth(),
    ctx.reads.paused(),
    ctx.reads.entrypointStats(windowSeconds),
    ctx.reads.workers(1_000),
  ]);
  // Every entrypoint anything knows of: jobs, the log's window, workers, pauses, the manifest.
  const names = new Set<string>([
    ...depth.map((d) => d.entrypoint),
    ...stats.map((s) => s.entrypoint),
    ...workers.workers.flatMap((w) => w.entrypoints),
    ...paused,
    ...Object.keys(ctx.manifest?.jobs ?? {}),
  ]);
  const sorted = [...names].sort();
  const queuedVersions = await ctx.reads.queuedVersions(sorted.filter((name) => depth.some((d) => d.entrypoint === name && d.status === 'queued')));
  const rows = sorted.map((name) => {
    const s = stats.find((r) => r.entrypoint === name);
    const isPaused = paused.includes(name);
    return html`<tr data-entrypoint="${name}">
      <td><a href="${href(ctx, '/jobs', { entrypoint: name })}">${name}</a></td>
      ${LIVE_STATUSES.map((status) => {
        const d = depth.find((r) => r.entrypoint === name && r.status === status);
        return html`<td class="num" data-status="${status}">${d ? count(d.count, d.capped) : '0'}</td>`;
      })}
      <td class="num" data-stat="finished">${count(s?.finished ?? 0)}</td>
      <td class="num" data-stat="failure-rate">${percent(s?.failed ?? 0, s?.finished ?? 0)}</td>
      <td class="num" data-stat="p50">${duration(s?.p50Ms)}</td>
      <td class="num" data-stat="p95">${duration(s?.p95Ms)}</td>
      <td class="limits">${limits(ctx.manifest?.jobs[name]?.options)}</td>
      <td class="versions" data-stat="versions">${versions(queuedVersions.filter((v) => v.entrypoint === name), ctx.manifest?.jobs[name]?.fingerprint)}</td>
      <td data-state="${isPaused ? 'paused' : 'running'}">${isPaused ? html`<span class="badge">paused</span>` : html`<span class="muted">running</span>`}
        ${isPaused
          ? actionForm(ctx, `/entrypoints/${encodeURIComponent(name)}/resume`, 'Resume')
          : actionForm(ctx, `/entrypoints/${encodeURIComponent(name)}/pause`, 'Pause')}</td>
    </tr>`;
  });
  const table = rows.length
    ? html`<table class="entrypoints">
        <thead><tr><th>entrypoint</th>${LIVE_STATUSES.map((s) => html`<th class="num">${s}</th>`)}
          <th class="num">finished</th><th class="num">failure rate</th><th class="num">p50</th><th class="num">p95</th><th>limits</th><th title="payload schema versions among the next ${VERSION_SAMPLE} queued jobs">versions queued</th><th>state</th></tr></thead>
        <tbody>${rows}</tbody></table>`
    : html`<p class="empty">No entrypoints yet.</p>`;
  const windowLinks = WINDOWS.map(
    ([seconds, label]) => html`<a href="${href(ctx, '/entrypoints', { window: seconds })}" class="${seconds === windowSeconds ? 'current' : ''}">${label}</a>`,
  );
  const body = html`<p class="window">Finished, failure rate and durations over the last: ${windowLinks}</p>
    ${ctx.live('entrypoints', table)}
    <p class="muted">Limits come from the manifest (pgq.manifest.json); counts of live jobs stop at 10,000 (shown with +); versions are the payload schema fingerprints of the next ${VERSION_SAMPLE} queued jobs (✓ the manifest's current one).</p>`;
  return { title: 'Entrypoints', section: 'Entrypoints', body };
};
