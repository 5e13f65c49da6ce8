import { parseArgs } from 'node:util';
import { DEFAULT_PEERS, SYSTEM_IDS } from './systems/registry.js';

export const SCENARIO_IDS = ['drain', 'enqueue', 'latency', 'depth', 'memory'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export interface BenchOptions {
  runs: number;
  /** Systems measured: pgqueuer first, then the peers. */
  systems: string[];
  scenarios: ScenarioId[];
  /** Jobs pre-queued and drained (drain, memory) and enqueued in batches (enqueue). */
  jobs: number;
  batchSize: number;
  /** Jobs enqueued one at a time, each awaited (enqueue). */
  singleJobs: number;
  latencySamples: number;
  /** Backlogs compared by the depth scenario, and how many jobs are drained from each. */
  shallow: number;
  deep: number;
  depthSample: number;
  /** Longest a drain (or the one-at-a-time enqueue, or the latency loop) is measured, in ms. */
  capMs: number;
  chart: boolean;
  outDir: string;
  quick: boolean;
}

const HELP = `npm run bench -- [options]

  --runs N            alternating runs per system; the table shows medians (default 3)
  --peers a,b         systems compared with pgqueuer (default ${DEFAULT_PEERS.join(',')});
                      known: ${SYSTEM_IDS.filter((s) => s !== 'pgqueuer').join(', ')}
  --scenarios a,b     any of ${SCENARIO_IDS.join(', ')} (default all)
  --jobs N            jobs drained and enqueued in batches (default 50000)
  --batch-size N      jobs per batch enqueue call (default 1000)
  --single-jobs N     jobs enqueued one at a time (default 2000)
  --latency-samples N enqueue-to-start samples (default 200)
  --shallow N         small backlog of the depth scenario (default 10000)
  --deep N            large backlog of the depth scenario (default 1000000)
  --depth-sample N    jobs drained from each backlog (default 5000)
  --cap-seconds N     longest one drain / latency loop / single enqueue is timed (default 5)
  --quick             smoke test in 2-4 minutes: 2 runs, 10k jobs, 200k deep backlog,
                      100 latency samples, 500 single enqueues, 2 s cap (any flag given still wins)
  --no-chart          do not render bench/results/<timestamp>.png (and .svg) beside the JSON
  --out DIR           where results go (default bench/results)

DATABASE_URL: use that server (a database per system per run is created and dropped there);
otherwise an embedded PostgreSQL is started for the run.
REDIS_URL: the Redis BullMQ runs on (default redis://127.0.0.1:6379); when none answers, the
BullMQ column is skipped with a note in the report.`;

/** A smoke test of every scenario and system in a few minutes; not for quoting figures. */
const QUICK: Partial<BenchOptions> = {
  runs: 2,
  jobs: 10_000,
  singleJobs: 500,
  latencySamples: 100,
  shallow: 10_000,
  deep: 200_000,
  depthSample: 3_000,
  capMs: 2_000,
};

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      runs: { type: 'string' },
      peers: { type: 'string' },
      scenarios: { type: 'string' },
      jobs: { type: 'string' },
      'batch-size': { type: 'string' },
      'single-jobs': { type: 'string' },
      'latency-samples': { type: 'string' },
      shallow: { type: 'string' },
      deep: { type: 'string' },
      'depth-sample': { type: 'string' },
      'cap-seconds': { type: 'string' },
      quick: { type: 'boolean', default: false },
      chart: { type: 'boolean', default: true },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowNegative: true,
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const base = values.quick ? QUICK : {};
  const int = (name: string, raw: string | undefined, fallback: number, min = 1): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw.replaceAll('_', ''));
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
    return n;
  };
  const list = <T extends string>(name: string, raw: string | undefined, known: readonly string[], fallback: T[]): T[] => {
    if (raw === undefined) return fallback;
    const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
    for (const item of items) if (!known.includes(item)) throw new Error(`--${name}: unknown "${item}"; known: ${known.join(', ')}`);
    return items as T[];
  };
  const peers = list('peers', values.peers, SYSTEM_IDS.filter((s) => s !== 'pgqueuer'), DEFAULT_PEERS);
  const options: BenchOptions = {
    runs: int('runs', values.runs, base.runs ?? 3),
    systems: ['pgqueuer', ...peers],
    scenarios: list('scenarios', values.scenarios, SCENARIO_IDS, [...SCENARIO_IDS]),
    jobs: int('jobs', values.jobs, base.jobs ?? 50_000),
    batchSize: int('batch-size', values['batch-size'], 1_000),
    singleJobs: int('single-jobs', values['single-jobs'], base.singleJobs ?? 2_000),
    latencySamples: int('latency-samples', values['latency-samples'], base.latencySamples ?? 200),
    shallow: int('shallow', values.shallow, base.shallow ?? 10_000),
    deep: int('deep', values.deep, base.deep ?? 1_000_000),
    depthSample: int('depth-sample', values['depth-sample'], base.depthSample ?? 5_000),
    capMs: int('cap-seconds', values['cap-seconds'], (base.capMs ?? 5_000) / 1000) * 1000,
    chart: values.chart,
    outDir: values.out ?? 'bench/results',
    quick: values.quick,
  };
  if (options.depthSample > options.shallow) {
    throw new Error(`--depth-sample (${options.depthSample}) must not exceed --shallow (${options.shallow})`);
  }
  return options;
}
