/**
 * Renders a results file as a PNG (and an SVG beside it): one panel per figure, a bar per
 * system at its median, a tick per run. `npm run bench` calls this after a run (unless --no-chart);
 * `npx tsx bench/chart.ts bench/results/<file>.json [out.png]` renders any earlier run.
 *
 * The PNG is rasterised here with a built-in bitmap font (bench/chart/), because this machine
 * has no network, no ImageMagick and no headless browser to turn an SVG into pixels.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { renderPng } from './chart/png.js';
import { textWidth, type Scene, type Shape } from './chart/scene.js';
import { renderSvg } from './chart/svg.js';
import { METRICS, type MetricId } from './metrics.js';
import type { BenchOptions } from './options.js';
import { format, formatRatio, type Environment, type Skipped } from './report.js';
import type { Summary } from './summary.js';

interface ResultsFile {
  startedAt: string;
  options: BenchOptions;
  /** `server`/`serverVersion`: results files written before the environment was recorded in full. */
  environment: { cpus: number; server?: string; serverVersion?: number } & Partial<Environment>;
  systems: Array<{ id: string; label: string }>;
  skipped?: Skipped[];
  /** Scenarios a system does not run, with the reason. */
  notMeasured?: Skipped[];
  summary: Summary;
}

/** The figures charted, in order (RSS at start and end are left to the table). */
const CHARTED: readonly MetricId[] = [
  'drain.jobsPerSec',
  'enqueue.batchedPerSec',
  'enqueue.singlePerSec',
  'latency.p50',
  'latency.p95',
  'latency.p99',
  'depth.shallowPerSec',
  'depth.deepPerSec',
  'depth.ratio',
  'memory.peakMb',
  'memory.growthMb',
  'memory.lateGrowthMb',
];

const WIDTH = 1400;
const MARGIN = 24;
const GAP = 24;
const COLUMNS = 2;
const PAD = 14;
const ROW = 26;
const BAR = 16;
const COLORS = { pgqueuer: '#e8590c', peer: '#4c6ef5', ceiling: '#868e96', text: '#212529', muted: '#868e96', frame: '#dee2e6', grid: '#f1f3f5' };

/** Writes `<file>.png` and `<file>.svg` (or the given PNG path and its .svg) and returns their paths. */
export function renderChart(resultsFile: string, pngPath = resultsFile.replace(/\.json$/, '') + '.png'): string[] {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as ResultsFile;
  const scene = layout(results);
  const svgPath = pngPath.replace(/\.png$/, '') + '.svg';
  writeFileSync(pngPath, renderPng(scene));
  writeFileSync(svgPath, renderSvg(scene));
  return [pngPath, svgPath];
}

function layout(results: ResultsFile): Scene {
  const shapes: Shape[] = [];
  const text = (x: number, y: number, s: string, size: number, fill: string, anchor: 'start' | 'middle' | 'end' = 'start', bold = false): void => {
    shapes.push({ kind: 'text', x, y, text: s, size, fill, anchor, bold });
  };
  const o = results.options;
  text(MARGIN, MARGIN, 'pgqueuer vs peers', 3, COLORS.text, 'start', true);
  // One line each, so that none runs past the right edge (the font is 12 px a character).
  const lines: Array<[string, string]> = [
    [`${results.startedAt.slice(0, 16).replace('T', ' ')} UTC · median of ${o.runs} run${o.runs === 1 ? '' : 's'} · ${results.environment.cpus} CPUs`, COLORS.muted],
    ...servers(results).map((line): [string, string] => [line, COLORS.muted]),
    ['bars: median · ticks: each run · *: a run was cut short by the time cap · orange: pgqueuer · grey: raw-SQL ceiling', COLORS.muted],
    ...(results.skipped ?? []).map((s): [string, string] => [`skipped ${s.label}: ${s.reason}`, COLORS.pgqueuer]),
    ...(results.notMeasured ?? []).map((s): [string, string] => [`${s.label}: ${s.reason}`, COLORS.muted]),
  ];
  const perLine = Math.floor((WIDTH - 2 * MARGIN) / textWidth('x', 2));
  const wrapped = lines.flatMap(([line, color]) => wrap(line, perLine).map((part): [string, string] => [part, color]));
  wrapped.forEach(([line, color], i) => text(MARGIN, MARGIN + 34 + i * 24, line, 2, color));

  const systems = results.systems;
  const labelWidth = Math.max(...systems.map((s) => textWidth(s.label, 2))) + 12;
  const panelWidth = (WIDTH - 2 * MARGIN - (COLUMNS - 1) * GAP) / COLUMNS;
  const panelHeight = 2 * PAD + 52 + systems.length * ROW + 18;
  const metrics = CHARTED.filter((id) => results.summary[id]);
  let top = MARGIN + 42 + wrapped.length * 24;
  metrics.forEach((id, index) => {
    const col = index % COLUMNS;
    const y0 = top + Math.floor(index / COLUMNS) * (panelHeight + GAP);
    const x0 = MARGIN + col * (panelWidth + GAP);
    const m = METRICS.find((d) => d.id === id)!;
    const cells = results.summary[id]!;
    const all = systems.flatMap((s) => cells[s.id]?.values ?? []);
    const scale = makeScale(all);
    shapes.push({ kind: 'rect', x: x0, y: y0, w: panelWidth, h: panelHeight, fill: COLORS.frame });
    shapes.push({ kind: 'rect', x: x0 + 1, y: y0 + 1, w: panelWidth - 2, h: panelHeight - 2, fill: '#ffffff' });
    text(x0 + PAD, y0 + PAD, m.label(o), 2, COLORS.text, 'start', true);
    text(x0 + PAD, y0 + PAD + 24, `${m.unit} · ${m.better} is better${scale.log ? ' · log scale' : ''}`, 2, COLORS.muted);

    const barX = x0 + PAD + labelWidth;
    const valueWidth = textWidth('000,000* (0.00×)', 2);
    const barWidth = panelWidth - 2 * PAD - labelWidth - valueWidth;
    const rowsTop = y0 + PAD + 52;
    for (const tick of scale.ticks) {
      const tx = barX + scale.at(tick) * barWidth;
      shapes.push({ kind: 'rect', x: tx, y: rowsTop - 4, w: 1, h: systems.length * ROW + 4, fill: COLORS.grid });
      text(tx, rowsTop + systems.length * ROW + 4, format(m, tick), 1, COLORS.muted, 'middle');
    }
    systems.forEach((s, i) => {
      const cell = cells[s.id];
      const y = rowsTop + i * ROW;
      text(x0 + PAD, y + 1, s.label, 2, COLORS.text);
      if (!cell) {
        text(barX, y + 1, 'not measured', 2, COLORS.muted);
        return;
      }
      const color = s.id === 'pgqueuer' ? COLORS.pgqueuer : s.id === 'raw-sql' ? COLORS.ceiling : COLORS.peer;
      const zero = scale.at(scale.base);
      const end = scale.at(cell.median);
      const left = Math.min(zero, end);
      shapes.push({ kind: 'rect', x: barX + left * barWidth, y, w: Math.max(1, Math.abs(end - zero) * barWidth), h: BAR, fill: color });
      for (const v of cell.values) {
        shapes.push({ kind: 'rect', x: barX + scale.at(v) * barWidth - 1, y: y - 2, w: 2, h: BAR + 4, fill: COLORS.text });
      }
      const pgq = cells.pgqueuer?.median;
      const ratio = s.id !== 'pgqueuer' && m.ratio !== false && pgq !== undefined && cell.median !== 0 ? ` (${formatRatio(pgq / cell.median)})` : '';
      // The label goes right of the bar and of every run's tick, so none is drawn over it.
      const rightmost = Math.max(zero, end, ...cell.values.map((v) => scale.at(v)));
      text(barX + rightmost * barWidth + 8, y + 1, `${format(m, cell.median)}${cell.capped ? '*' : ''}${ratio}`, 2, COLORS.text);
    });
  });
  const rows = Math.ceil(metrics.length / COLUMNS);
  const height = top + rows * (panelHeight + GAP) + MARGIN;
  top = height - MARGIN - 4;
  text(MARGIN, top - 12, '(pgq÷peer): pgqueuer\'s median divided by the peer\'s', 2, COLORS.muted);
  return { width: WIDTH, height: height + 16, background: '#f8f9fa', shapes };
}

/** ["PostgreSQL 18.4, embedded: fsync=off synchronous_commit=on ...", "Redis 7.0.15 (bullmq): appendonly=no ..."] */
function servers(results: ResultsFile): string[] {
  const env = results.environment;
  if (!env.postgres) {
    const v = env.serverVersion;
    return [`${v ? `PostgreSQL ${Math.floor(v / 10000)}.${v % 100}` : 'PostgreSQL'} (${(env.server ?? '').replace(/ \(.*\)$/, '')})`];
  }
  const settings = (s: Record<string, string>): string =>
    Object.entries(s)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  const pg = env.postgres;
  const { max_wal_size: _, ...shown } = pg.settings;
  return [
    `PostgreSQL ${pg.version.split(' ')[0]}, ${pg.source}: ${settings(shown)}`,
    ...Object.entries(env.stores ?? {}).map(([id, store]) => `${store.name} ${store.version} (${id}): ${settings(store.settings)}`),
  ];
}

/** Breaks `line` at spaces into pieces of at most `width` characters (a longer word stays whole). */
function wrap(line: string, width: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      out.push(current);
      current = `  ${word}`;
    } else current = current ? `${current} ${word}` : word;
  }
  return [...out, current];
}

interface Scale {
  log: boolean;
  /** Where bars start: 0, or the lowest decade on a log scale. */
  base: number;
  /** Position of a value across the bar area, 0..1. */
  at(v: number): number;
  ticks: number[];
}

/** Linear from zero, unless the values span more than 30× (then log10, whole decades). */
function makeScale(values: number[]): Scale {
  const finite = values.filter(Number.isFinite);
  const max = Math.max(0, ...finite);
  const min = Math.min(0, ...finite);
  const positive = finite.filter((v) => v > 0);
  if (positive.length === finite.length && positive.length > 0 && Math.max(...positive) / Math.min(...positive) > 30) {
    const lo = Math.floor(Math.log10(Math.min(...positive)));
    const hi = Math.ceil(Math.log10(Math.max(...positive)));
    const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
    return { log: true, base: 10 ** lo, at: (v) => (Math.log10(Math.max(v, 10 ** lo)) - lo) / Math.max(1, hi - lo), ticks };
  }
  const span = max - min || 1;
  // Label the ends, and zero when it is not crowding one of them.
  const ticks = [min, max];
  if (min < 0 && -min / span > 0.15 && max / span > 0.15) ticks.push(0);
  return { log: false, base: 0, at: (v) => (v - min) / span, ticks };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, out] = process.argv.slice(2);
  if (!file) {
    console.error('usage: npx tsx bench/chart.ts bench/results/<timestamp>.json [out.png]');
    process.exit(2);
  }
  console.log(renderChart(file, out).join('\n'));
}
