import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { AttemptOutcome } from '../port/rows.js';
import type { Logger, MetricsOptions, QueueSizeRow } from '../types.js';
import { HotCounter, HotHistogram, sharedMetric } from './hot-metrics.js';

const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

/** Where the queue-depth gauge reads from when scraped: any open instance of the registry. */
type DepthSource = () => Promise<QueueSizeRow[]>;
const depthSources = new WeakMap<Registry, Set<DepthSource>>();
/** Where the in-flight gauge reads from when scraped: every running worker of the registry. */
type InFlightSource = () => ReadonlyMap<string, number>;
const inFlightSources = new WeakMap<Registry, Set<InFlightSource>>();

/**
 * pgqueuer's Prometheus metrics (prom-client). Counters and histograms count what this process
 * did; `pgqueuer_queue_depth` is read from the database at scrape time, so every instance
 * reports the same global depth (aggregate it with max(), not sum()).
 *
 * It is the `Instruments` the engine records to. Those hooks are tagged internal (left out of
 * the published types, so users' autocomplete shows `registry` only), which is why the class
 * does not say `implements Instruments`: the published declaration would not satisfy it.
 */
export class PgqMetrics {
  readonly registry: Registry;
  private readonly enqueuedTotal;
  private readonly startedTotal: HotCounter;
  private readonly outcomeTotals: Record<AttemptOutcome, HotCounter>;
  private readonly rescuedTotal;
  private readonly rateLimitWaits;
  private readonly validationFailures;
  private readonly unknownVersions;
  private readonly duration: HotHistogram;
  private readonly queueWait: HotHistogram;
  private readonly depthSource: DepthSource | undefined;

  /** @internal */
  constructor(options: MetricsOptions, depth: DepthSource | undefined, logger: Logger) {
    const registry = (this.registry = options.registry ?? new Registry());
    const counter = (name: string, help: string) =>
      shared(registry, name, () => new Counter({ name, help, labelNames: ['entrypoint'] as const, registers: [registry] }));
    this.enqueuedTotal = counter('pgqueuer_jobs_enqueued_total', 'Jobs enqueued by this process.');
    // Updated for every job: the hot-path kind (see hot-metrics.ts).
    const hotCounter = (name: string, help: string) => sharedMetric(registry, new HotCounter(name, help, ['entrypoint']));
    this.startedTotal = hotCounter('pgqueuer_jobs_started_total', 'Handlers started by this process.');
    this.outcomeTotals = {
      successful: hotCounter('pgqueuer_jobs_completed_total', 'Jobs that ended successful, recorded by this process.'),
      exception: hotCounter('pgqueuer_jobs_failed_total', 'Jobs that ended failed (no attempts left, or a permanent error), recorded by this process.'),
      retried: hotCounter('pgqueuer_jobs_retried_total', 'Failed attempts sent back to the queue for another attempt, by this process.'),
      canceled: hotCounter('pgqueuer_jobs_canceled_total', 'Jobs that ended canceled: running ones where they ran, queued ones where cancel() was called.'),
      held: hotCounter('pgqueuer_jobs_held_total', 'Jobs that failed for good and were kept as held (onFailure: hold), by this process.'),
      snoozed: hotCounter('pgqueuer_jobs_snoozed_total', 'Attempts that asked to run later (RetryLaterError), recorded by this process.'),
    };
    this.rescuedTotal = counter('pgqueuer_jobs_rescued_total', 'Jobs of lost workers (no heartbeat) returned to the queue by this process.');
    this.rateLimitWaits = counter('pgqueuer_rate_limit_waits_total', 'Claims in which runnable jobs waited for their entrypoint\'s rate limit.');
    this.validationFailures = shared(registry, 'pgqueuer_validation_failures_total', () =>
      new Counter({
        name: 'pgqueuer_validation_failures_total',
        help: 'Payloads or results rejected by their job schema: at enqueue (nothing stored) or in the worker (the job fails).',
        labelNames: ['entrypoint', 'what', 'where'] as const,
        registers: [registry],
      }),
    );
    this.unknownVersions = counter(
      'pgqueuer_jobs_unknown_version_total',
      'Jobs whose payload had a schema version this worker does not know (a newer producer, mid-deploy): given back for a worker that knows it, or failed past maxSnoozes.',
    );
    this.duration = sharedMetric(
      registry,
      new HotHistogram('pgqueuer_job_duration_seconds', 'Handler run time, by outcome (successful, exception, retried, canceled).', ['entrypoint', 'outcome'], DURATION_BUCKETS),
    );
    this.queueWait = sharedMetric(
      registry,
      new HotHistogram('pgqueuer_job_queue_wait_seconds', 'Time from a job becoming runnable (enqueued, or its deferred time) to its claim.', ['entrypoint'], WAIT_BUCKETS),
    );
    const running = inFlightSources.get(registry) ?? new Set<InFlightSource>();
    inFlightSources.set(registry, running);
    shared(registry, 'pgqueuer_jobs_in_flight', () =>
      new Gauge({
        name: 'pgqueuer_jobs_in_flight',
        help: 'Handlers running in this process.',
        labelNames: ['entrypoint'] as const,
        registers: [registry],
        // Counted when scraped, from the workers themselves: nothing to update per job.
        collect() {
          const totals = new Map<string, number>();
          for (const source of running) for (const [entrypoint, n] of source()) totals.set(entrypoint, (totals.get(entrypoint) ?? 0) + n);
          this.reset();
          for (const [entrypoint, n] of totals) this.set({ entrypoint }, n);
        },
      }),
    );

    const sources = depthSources.get(registry) ?? new Set<DepthSource>();
    depthSources.set(registry, sources);
    shared(registry, 'pgqueuer_queue_depth', () =>
      new Gauge({
        name: 'pgqueuer_queue_depth',
        help: 'Live jobs in the database by entrypoint and status (scheduled, queued, picked), read at scrape time.',
        labelNames: ['entrypoint', 'status'] as const,
        registers: [registry],
        async collect() {
          const source = sources.values().next().value;
          if (!source) return;
          let rows: QueueSizeRow[];
          try {
            rows = await source();
          } catch (err) {
            // A scrape must not fail as a whole because the database is away: the gauge is left
            // out (absent, not zero) and the other metrics are still served.
            logger.warn({ err }, 'pgqueuer: reading the queue depth for metrics failed');
            this.reset();
            return;
          }
          const totals = new Map<string, { entrypoint: string; status: string; count: number }>();
          for (const row of rows) {
            const key = `${row.entrypoint}\u0000${row.status}`;
            const total = totals.get(key) ?? { entrypoint: row.entrypoint, status: row.status, count: 0 };
            total.count += row.count;
            totals.set(key, total);
          }
          this.reset();
          for (const t of totals.values()) this.set({ entrypoint: t.entrypoint, status: t.status }, t.count);
        },
      }),
    );
    this.depthSource = depth;
    if (depth) sources.add(depth);
  }

  /** Stops reading the depth through this instance (its connections are closing). @internal */
  detach(): void {
    if (this.depthSource) depthSources.get(this.registry)?.delete(this.depthSource);
  }

  /** @internal */
  enqueued(entrypoints: readonly string[]): void {
    for (const [entrypoint, n] of countEach(entrypoints)) this.enqueuedTotal.inc({ entrypoint }, n);
  }

  /** @internal */
  validationFailed(entrypoint: string, what: 'payload' | 'result', where: 'enqueue' | 'worker'): void {
    this.validationFailures.inc({ entrypoint, what, where });
  }

  /** @internal */
  unknownVersion(entrypoint: string): void {
    this.unknownVersions.inc({ entrypoint });
  }

  /** @internal */
  started(entrypoint: string, queuedMs: number): void {
    this.startedTotal.inc(entrypoint);
    this.queueWait.observe(Math.max(0, queuedMs) / 1000, entrypoint);
  }

  /** @internal */
  watchInFlight(source: InFlightSource): () => void {
    const sources = inFlightSources.get(this.registry)!;
    sources.add(source);
    return () => sources.delete(source);
  }

  /** @internal */
  recorded(entrypoint: string, outcome: AttemptOutcome, durationMs: number): void {
    this.outcomeTotals[outcome].inc(entrypoint);
    this.duration.observe(durationMs / 1000, entrypoint, outcome);
  }

  /** @internal */
  canceled(entrypoints: readonly string[]): void {
    for (const entrypoint of entrypoints) this.outcomeTotals.canceled.inc(entrypoint);
  }

  /** @internal */
  rescued(counts: ReadonlyMap<string, number>): void {
    for (const [entrypoint, n] of counts) this.rescuedTotal.inc({ entrypoint }, n);
  }

  /** @internal */
  rateLimited(entrypoint: string): void {
    this.rateLimitWaits.inc({ entrypoint });
  }
}

/** The registry's metric of that name if another instance created it, else a new one. */
function shared<M extends Metric>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

function countEach(names: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}
