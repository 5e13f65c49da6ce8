import { METRICS, type MetricId, type Sample } from './metrics.js';
import type { BenchOptions } from './options.js';
import { median } from './statistics.js';

export interface Cell {
  /** Median over runs: what the table prints. */
  median: number;
  values: number[];
  /** Some run was cut short by the time cap (its figure covers fewer jobs or samples). */
  capped: boolean;
}

export type Summary = Partial<Record<MetricId, Record<string, Cell>>>;

export function summarize(samples: readonly Sample[]): Summary {
  const summary: Summary = {};
  for (const m of METRICS) {
    const own = samples.filter((s) => s.metric === m.id);
    if (own.length === 0) continue;
    const bySystem: Record<string, Cell> = {};
    for (const system of new Set(own.map((s) => s.system))) {
      const mine = own.filter((s) => s.system === system);
      const values = mine.map((s) => s.value);
      bySystem[system] = { median: median(values), values, capped: mine.some((s) => s.detail?.capped === true) };
    }
    summary[m.id] = bySystem;
  }
  return summary;
}

/** pgqueuer's median divided by the peer's: > 1 means pgqueuer's figure is larger. */
export function ratio(summary: Summary, metric: MetricId, peer: string): number | undefined {
  const cells = summary[metric];
  const mine = cells?.pgqueuer?.median;
  const theirs = cells?.[peer]?.median;
  if (mine === undefined || theirs === undefined || theirs === 0) return undefined;
  return mine / theirs;
}

export interface TargetCheck {
  target: string;
  measured: string;
  /** 'not applicable': measured on a server the target is not stated for (fsync off). */
  status: 'met' | 'missed' | 'not measured' | 'not applicable';
}

/** The project's stated targets (issue 13), judged on the medians. */
export function checkTargets(summary: Summary, options: BenchOptions, fsyncOn: boolean): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const judge = (target: string, value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string, applies = true): void => {
    checks.push(
      value === undefined || Number.isNaN(value)
        ? { target, measured: '-', status: 'not measured' }
        : { target, measured: show(value), status: !applies ? 'not applicable' : ok(value) ? 'met' : 'missed' },
    );
  };
  const times = (v: number): string => `${v.toFixed(2)}×`;
  const ms = (v: number): string => `${v.toFixed(2)} ms`;
  judge('drain ≥ 1.5× graphile-worker tuned', ratio(summary, 'drain.jobsPerSec', 'graphile-tuned'), (v) => v >= 1.5, times);
  judge('drain ≥ 1.5× BullMQ', ratio(summary, 'drain.jobsPerSec', 'bullmq'), (v) => v >= 1.5, times);
  judge(
    `drain ≥ 1.0× raw-SQL ceiling (stated for fsync on${fsyncOn ? '' : '; this server has fsync off'})`,
    ratio(summary, 'drain.jobsPerSec', 'raw-sql'),
    (v) => v >= 1,
    times,
    fsyncOn,
  );
  const p50 = summary['latency.p50'];
  const mine = p50?.pgqueuer?.median;
  const peerP50 = (ids: string[]): number | undefined => {
    const values = ids.map((id) => p50?.[id]?.median).filter((v): v is number => v !== undefined);
    return values.length > 0 ? Math.min(...values) : undefined;
  };
  const vsPeer = (peer: number | undefined): number | undefined => (mine === undefined || peer === undefined ? undefined : mine - peer);
  const delta = (peer: number | undefined) => (v: number): string => `${mine!.toFixed(2)} ms vs ${peer!.toFixed(2)} ms (${v >= 0 ? '+' : ''}${v.toFixed(2)})`;
  const bull = peerP50(['bullmq']);
  const graphile = peerP50(['graphile', 'graphile-tuned']);
  judge('latency p50 ≤ BullMQ’s', vsPeer(bull), (v) => v <= 0, delta(bull));
  judge('latency p50 ≤ graphile-worker’s (the lower of its rows)', vsPeer(graphile), (v) => v <= 0, delta(graphile));
  judge('latency p99 ≤ 10 ms', summary['latency.p99']?.pgqueuer?.median, (v) => v <= 10, ms);
  judge(
    `throughput at ${options.deep.toLocaleString('en')} queued ≥ 0.9× at ${options.shallow.toLocaleString('en')}`,
    summary['depth.ratio']?.pgqueuer?.median,
    (v) => v >= 0.9,
    times,
  );
  const start = summary['memory.startMb']?.pgqueuer?.median;
  const late = summary['memory.lateGrowthMb']?.pgqueuer?.median;
  judge(
    'worker memory flat (RSS grows ≤ 5% over the second half of the drain)',
    start === undefined || late === undefined ? undefined : late / start,
    (v) => v <= 0.05,
    (v) => `${late!.toFixed(1)} MB = ${(v * 100).toFixed(1)}% of ${start!.toFixed(0)} MB`,
  );
  return checks;
}
