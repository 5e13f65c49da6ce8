import { age, bytes, count, instant } from '../display.js';
import { html } from '../html.js';
import type { PageContext, PageRenderer } from '../page.js';

export const systemPage: PageRenderer = async (ctx: PageContext) => {
  const s = await ctx.reads.system();
  const current = s.installedVersion === s.codeVersion;
  const facts = html`<dl class="facts">
    <dt>schema</dt><dd>${s.schema}</dd>
    <dt>schema version</dt><dd data-field="schema-version">${s.installedVersion ?? 'not installed'}${current ? '' : html` <span class="badge bad">this code expects ${s.codeVersion}</span>`}</dd>
    <dt>PostgreSQL</dt><dd>${s.serverVersion}</dd>
  </dl>`;
  const tables = html`<table class="tables"><thead><tr><th>table</th><th class="num">size</th><th class="num">live rows</th><th class="num">dead rows</th><th>last autovacuum</th></tr></thead>
    <tbody>${s.tables.map((t) => html`<tr data-table="${t.table}"><td>${t.table}</td><td class="num">${bytes(t.totalBytes)}</td><td class="num">${count(t.liveRows)}</td>
      <td class="num ${t.deadRows > t.liveRows && t.deadRows > 10_000 ? 'bad' : ''}">${count(t.deadRows)}</td><td>${instant(t.lastAutovacuum)}</td></tr>`)}</tbody></table>`;
  const t = s.oldestTransaction;
  const oldest = t
    ? html`<dl class="facts" data-field="oldest-transaction">
        <dt>pid</dt><dd>${t.pid}</dd><dt>user</dt><dd>${t.user ?? '—'}</dd><dt>application</dt><dd>${t.application || '—'}</dd>
        <dt>state</dt><dd>${t.state ?? '—'}</dd><dt>open for</dt><dd class="${t.ageSeconds > 300 ? 'bad' : ''}">${age(t.ageSeconds)}</dd>
        <dt>xmin age</dt><dd>${count(t.xminAge)} transactions</dd><dt>query</dt><dd><code>${t.query}</code></dd></dl>`
    : html`<p class="empty">No other session holds a snapshot.</p>`;
  const body = html`${facts}<h2>Tables</h2>${ctx.live('tables', tables)}
    <h2>Oldest transaction holding back vacuum</h2>${ctx.live('oldest-transaction', oldest)}
    <p class="muted">Dead rows are removed by vacuum only once no open transaction can still see them; a long one makes the queue's tables bloat.</p>`;
  return { title: 'System', section: 'System', body };
};
