import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms updated for every job, where prom-client's own cost (a closure, a
 * label object and a hash string per update: about 1 KB of garbage per job across pgqueuer's
 * four per-job updates, 8-10% of a no-op drain) matters. An update here is a Map lookup and an
 * addition. They register in the prom-client registry like its own metrics and render the
 * same exposition; everything else uses prom-client's classes. Series are keyed by up to two
 * label values (entrypoint, and an outcome).
 */
type Labels = Record<string, string>;

interface MetricData {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>;
}

abstract class HotMetric<Series extends { labels: Labels }> {
  readonly aggregator = 'sum' as const;
  private series = new Map<string, Map<string, Series>>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly [string] | readonly [string, string],
  ) {}

  protected at(first: string, second = ''): Series {
    let inner = this.series.get(first);
    if (!inner) this.series.set(first, (inner = new Map()));
    let series = inner.get(second);
    if (!series) {
      const labels: Labels = { [this.labelNames[0]]: first };
      if (this.labelNames[1] !== undefined) labels[this.labelNames[1]] = second;
      inner.set(second, (series = this.create(labels)));
    }
    return series;
  }

  protected all(): Series[] {
    return [...this.series.values()].flatMap((inner) => [...inner.values()]);
  }

  protected abstract create(labels: Labels): Series;

  reset(): void {
    this.series = new Map();
  }
}

export class HotCounter extends HotMetric<{ labels: Labels; value: number }> {
  readonly type = 'counter' as const;

  inc(first: string, second?: string, by = 1): void {
    this.at(first, second).value += by;
  }

  protected create(labels: Labels) {
    return { labels, value: 0 };
  }

  async get(): Promise<MetricData> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.all().map((s) => ({ labels: s.labels, value: s.value })) };
  }
}

export class HotHistogram extends HotMetric<{ labels: Labels; buckets: number[]; sum: number; count: number }> {
  readonly type = 'histogram' as const;

  constructor(name: string, help: string, labelNames: readonly [string] | readonly [string, string], private readonly upperBounds: readonly number[]) {
    super(name, help, labelNames);
  }

  observe(value: number, first: string, second?: string): void {
    const series = this.at(first, second);
    series.sum += value;
    series.count++;
    for (let i = 0; i < this.upperBounds.length; i++) {
      if (value <= this.upperBounds[i]!) {
        series.buckets[i]!++;
        return;
      }
    }
  }

  protected create(labels: Labels) {
    return { labels, buckets: this.upperBounds.map(() => 0), sum: 0, count: 0 };
  }

  /** Cumulative buckets, then +Inf, sum and count per series, as prom-client writes them. */
  async get(): Promise<MetricData> {
    const values: MetricData['values'] = [];
    for (const s of this.all()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += s.buckets[i]!;
        values.push({ labels: { ...s.labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** Registers `metric` in `registry`, or returns the metric of that name another instance registered there. */
export function sharedMetric<M extends HotCounter | HotHistogram>(registry: Registry, metric: M): M {
  const existing = registry.getSingleMetric(metric.name) as unknown as M | undefined;
  if (existing) return existing;
  registry.registerMetric(metric as unknown as Metric);
  return metric;
}
