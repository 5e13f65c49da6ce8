import type { BenchOptions, ScenarioId } from './options.js';

export type MetricId =
  | 'drain.jobsPerSec'
  | 'enqueue.batchedPerSec'
  | 'enqueue.singlePerSec'
  | 'latency.p50'
  | 'latency.p95'
  | 'latency.p99'
  | 'depth.shallowPerSec'
  | 'depth.deepPerSec'
  | 'depth.ratio'
  | 'memory.startMb'
  | 'memory.peakMb'
  | 'memory.endMb'
  | 'memory.growthMb'
  | 'memory.lateGrowthMb';

export interface MetricDefinition {
  id: MetricId;
  /** The scenario whose selection (`--scenarios`) reports this figure. */
  scenario: ScenarioId;
  label(options: BenchOptions): string;
  unit: string;
  better: 'higher' | 'lower';
  /**
   * false for differences that sit near zero or below it (RSS growth): a ratio of two such
   * numbers says nothing, so none is printed.
   */
  ratio?: false;
}

const n = (x: number): string => (x >= 1_000_000 && x % 1_000_000 === 0 ? `${x / 1_000_000}M` : x >= 1000 && x % 1000 === 0 ? `${x / 1000}k` : String(x));

/** Every figure the harness reports, in table order. */
export const METRICS: readonly MetricDefinition[] = [
  { id: 'drain.jobsPerSec', scenario: 'drain', unit: 'jobs/s', better: 'higher', label: (o) => `(1) drain ${n(o.jobs)} pre-queued no-op jobs` },
  { id: 'enqueue.batchedPerSec', scenario: 'enqueue', unit: 'jobs/s', better: 'higher', label: (o) => `(2) enqueue ${n(o.jobs)}, batches of ${n(o.batchSize)}` },
  { id: 'enqueue.singlePerSec', scenario: 'enqueue', unit: 'jobs/s', better: 'higher', label: (o) => `(2) enqueue one at a time (N=${n(o.singleJobs)})` },
  { id: 'latency.p50', scenario: 'latency', unit: 'ms', better: 'lower', label: () => '(3) enqueue-to-start latency p50' },
  { id: 'latency.p95', scenario: 'latency', unit: 'ms', better: 'lower', label: () => '(3) enqueue-to-start latency p95' },
  { id: 'latency.p99', scenario: 'latency', unit: 'ms', better: 'lower', label: () => '(3) enqueue-to-start latency p99' },
  { id: 'depth.shallowPerSec', scenario: 'depth', unit: 'jobs/s', better: 'higher', label: (o) => `(4) first ${n(o.depthSample)} jobs, ${n(o.shallow)} queued` },
  { id: 'depth.deepPerSec', scenario: 'depth', unit: 'jobs/s', better: 'higher', label: (o) => `(4) first ${n(o.depthSample)} jobs, ${n(o.deep)} queued` },
  { id: 'depth.ratio', scenario: 'depth', unit: '×', better: 'higher', label: (o) => `(4) throughput ${n(o.deep)} ÷ ${n(o.shallow)} queued` },
  { id: 'memory.startMb', scenario: 'memory', unit: 'MB', better: 'lower', label: () => '(5) worker RSS at first job' },
  { id: 'memory.peakMb', scenario: 'memory', unit: 'MB', better: 'lower', label: () => '(5) worker RSS peak while draining' },
  { id: 'memory.endMb', scenario: 'memory', unit: 'MB', better: 'lower', label: () => '(5) worker RSS at end of drain' },
  { id: 'memory.growthMb', scenario: 'memory', unit: 'MB', better: 'lower', ratio: false, label: () => '(5) RSS growth, first job → end' },
  { id: 'memory.lateGrowthMb', scenario: 'memory', unit: 'MB', better: 'lower', ratio: false, label: () => '(5) RSS growth, second half of drain' },
];

export function metric(id: MetricId): MetricDefinition {
  return METRICS.find((m) => m.id === id)!;
}

/** One measured figure of one system in one run. */
export interface Sample {
  run: number;
  system: string;
  metric: MetricId;
  value: number;
  /** What produced the figure: job counts, seconds, whether the time cap cut it short. */
  detail?: Record<string, unknown>;
}
