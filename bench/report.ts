import { METRICS, type MetricDefinition } from './metrics.js';
import type { BenchOptions } from './options.js';
import { ratio, type Cell, type Summary, type TargetCheck } from './summary.js';

export interface SystemInfo {
  id: string;
  label: string;
  settings: string;
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
  const mark = { met: 'MET   ', missed: 'MISSED', 'not measured': 'n/a   ' } as const;
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
