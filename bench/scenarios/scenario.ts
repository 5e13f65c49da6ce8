import type { Databases } from '../databases.js';
import type { Sample } from '../metrics.js';
import type { BenchOptions, ScenarioId } from '../options.js';
import type { System } from '../systems/system.js';

export interface ScenarioContext {
  options: BenchOptions;
  databases: Databases;
  run: number;
}

/** The orchestrator's side of a scenario: prepares databases, runs child tasks, returns figures. */
export interface Scenario {
  /** The `--scenarios` names that select this scenario. */
  selectedBy: readonly ScenarioId[];
  /** Backlog sizes to seed into templates before the first timed run. */
  backlogs(options: BenchOptions): number[];
  measure(system: System, ctx: ScenarioContext): Promise<Array<Omit<Sample, 'run' | 'system'>>>;
}

/** A child that has not answered within its cap plus this is considered hung. */
export function childTimeoutMs(capMs: number): number {
  return capMs + 120_000;
}
