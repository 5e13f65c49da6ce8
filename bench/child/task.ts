import type { RssSummary } from './rss-sampler.js';

/**
 * What the orchestrator asks a child process to measure. Each task runs in a fresh process so
 * that one system's libraries, caches and leaks never weigh on another's figures.
 */
export type ChildTask = DrainTask | EnqueueTask | LatencyTask;

export interface DrainTask {
  kind: 'drain';
  systemId: string;
  url: string;
  /** Stop counting after this many jobs have started. */
  target: number;
  /**
   * true: the drain ends when the database holds no unfinished job (all outcomes written);
   * false: when the `target`-th handler starts (the queue holds more jobs than `target`).
   */
  untilEmpty: boolean;
  /** Measurement stops here even if `target` was not reached; throughput is then jobs/cap. */
  capMs: number;
}

export interface EnqueueTask {
  kind: 'enqueue';
  systemId: string;
  url: string;
  batchJobs: number;
  batchSize: number;
  singleJobs: number;
  capMs: number;
}

export interface LatencyTask {
  kind: 'latency';
  systemId: string;
  url: string;
  samples: number;
  warmup: number;
  /** Pause between samples, so that each job meets an idle worker. */
  gapMs: number;
  /** A random extra pause of up to this many ms (polling-only workers: one polling interval). */
  jitterMs: number;
  capMs: number;
}

export interface DrainResult {
  kind: 'drain';
  jobs: number;
  seconds: number;
  jobsPerSec: number;
  /** The cap ended the measurement before `target` jobs. */
  capped: boolean;
  rss: RssSummary;
}

export interface RateResult {
  jobs: number;
  seconds: number;
  jobsPerSec: number;
  capped: boolean;
}

export interface EnqueueResult {
  kind: 'enqueue';
  batched: RateResult;
  single: RateResult;
}

export interface LatencyResult {
  kind: 'latency';
  /** Enqueue-call-to-handler-start, milliseconds, in sample order. */
  samplesMs: number[];
  p50: number;
  p95: number;
  p99: number;
  capped: boolean;
}

export type ChildResult = DrainResult | EnqueueResult | LatencyResult;

/** Messages from a child to the orchestrator over the IPC channel. */
export type ChildMessage = { type: 'result'; result: ChildResult } | { type: 'error'; message: string };
