import type { PostgresInfo } from './databases.js';
import { METRICS, type MetricDefinition } from './metrics.js';
import type { BenchOptions } from './options.js';
import type { BenchServer } from './server.js';
import { ratio, type Cell, type Summary, type TargetCheck } from './summary.js';
import type { StoreInfo } from './systems/system.js';

export interface SystemInfo {
  id: string;
  label: string;
  settings: string;
}

/** What the figures were measured on: the PostgreSQL server and any other server a peer uses. */
export interface Environment {
  postgres: Pick<BenchServer, 'source' | 'address' | 'description'> & PostgresInfo;
  /** By system id (bullmq: its Redis). */
  stores: Record<string, StoreInfo>;
}

/** A requested system left out of the run, and why (BullMQ without a Redis). */
export interface Skipped {
  id: string;
  label: string;
  reason: string;
}

/** The head of the report: which servers, with which settings, and what was skipped. */
export function renderEnvironment(env: Environment, skipped: readonly Skipped[]): string {
  const pg = env.postgres;
  const settings = (s: Record<string, string>): string =>
    Object.entries(s)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  const where = pg.source === 'embedded' ? `embedded, ${pg.description.replace(/^embedded PostgreSQL /, '')}` : 'DATABASE_URL';
  const lines = [`PostgreSQL ${pg.version} (${where}) at ${pg.address}`, `  ${settings(pg.settings)}`];
  for (const [id, store] of Object.entries(env.stores)) {
    lines.push(`${store.name} ${store.version} at ${store.address} (for ${id})`, `  ${settings(store.settings)}`);
  }
  for (const s of skipped) lines.push(`SKIPPED ${s.label} (${s.id}): ${s.reason}`);
  return lines.join('\n');
}

/**
 * The printed report: one table, a row per figure, a column per system holding the median over
 * runs and, for peers, pgqueuer's median divided by theirs.
 */
export function renderTable(summary: Summary, systems: readonly SystemInfo[], options: BenchOptions): string {
  const rows = METRICS.filter((m) => summary[m.id]);
  const header = ['figure (median of runs)', 'better', ...systems.map((s) => (s.id === 'pgqueuer' ? s.label : `${s.label}  (pgq÷)`))];
  const body = rows.map((m) => [
    `${m.label(options)} [${m.unit}]`,
    m.better === 'higher' ? 'higher' : 'lower',
    ...systems.map((s) => {
      const cell = summary[m.id]?.[s.id];
      if (!cell) return '-';
      const value = formatValue(m, cell);
      if (s.id === 'pgqueuer' || m.ratio === false) return value;
      const r = ratio(summary, m.id, s.id);
      return `${value}  (${r === undefined ? '-' : formatRatio(r)})`;
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' │ ');
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─');
  return [line(header), rule, ...body.map(line)].join('\n');
}

export function renderTargets(checks: readonly TargetCheck[]): string {
  const mark = { met: 'MET   ', missed: 'MISSED', 'not measured': 'n/a   ', 'not applicable': 'n/a   ' } as const;
  return checks.map((c) => `  ${mark[c.status]}  ${c.target}: ${c.measured}`).join('\n');
}

export function renderSettings(systems: readonly SystemInfo[]): string {
  return systems.map((s) => `  ${s.label.padEnd(16)} ${s.settings}`).join('\n');
}

export function formatValue(m: MetricDefinition, cell: Cell): string {
  return format(m, cell.median) + (cell.capped ? '*' : '');
}

export function format(m: MetricDefinition, v: number): string {
  if (!Number.isFinite(v)) return String(v);
  switch (m.unit) {
    case 'jobs/s':
      return Math.round(v).toLocaleString('en');
    case 'ms':
      return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en');
    case 'MB':
      return v.toFixed(1);
    default:
      return v.toFixed(2);
  }
}

export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return '-';
  return r >= 100 ? `${Math.round(r)}×` : r >= 0.1 ? `${r.toFixed(2)}×` : `${r.toPrecision(2)}×`;
}
