import { performance } from 'node:perf_hooks';

export interface RssSummary {
  /** RSS when the first job started: libraries loaded, connections open. */
  startMb: number;
  /** RSS when half of the jobs had started. */
  halfMb: number;
  peakMb: number;
  /** RSS once the drain was over, before the worker stopped. */
  endMb: number;
  /** [ms since the first job, MB], thinned to at most ~200 points. */
  timeline: Array<[number, number]>;
}

const MB = 1024 * 1024;

/**
 * Samples the process RSS on a timer. `process.memoryUsage.rss()` reads one number from the
 * OS, cheap enough to call every few milliseconds without disturbing what is measured.
 */
export class RssSampler {
  private readonly samples: Array<[number, number]> = [];
  private timer: NodeJS.Timeout | undefined;
  private origin = performance.now();
  private marks = new Map<string, number>();

  constructor(private readonly everyMs = 50) {}

  start(): void {
    this.timer = setInterval(() => this.sample(), this.everyMs);
    this.timer.unref();
  }

  /** Records a sample now, named, and (for "start") makes it the time origin. */
  mark(name: 'start' | 'half' | 'end'): void {
    if (name === 'start') {
      this.origin = performance.now();
      this.samples.length = 0;
    }
    this.marks.set(name, this.sample());
  }

  stop(): RssSummary {
    clearInterval(this.timer);
    const end = this.marks.get('end') ?? this.sample();
    const start = this.marks.get('start') ?? this.samples[0]?.[1] ?? end;
    const peak = Math.max(...this.samples.map((s) => s[1]));
    const step = Math.max(1, Math.ceil(this.samples.length / 200));
    const timeline = this.samples
      .filter((_, i) => i % step === 0 || i === this.samples.length - 1)
      .map(([t, rss]) => [Math.round(t), round(rss / MB)] as [number, number]);
    return {
      startMb: round(start / MB),
      halfMb: round((this.marks.get('half') ?? end) / MB),
      peakMb: round(peak / MB),
      endMb: round(end / MB),
      timeline,
    };
  }

  private sample(): number {
    const rss = process.memoryUsage.rss();
    this.samples.push([performance.now() - this.origin, rss]);
    return rss;
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
