import type { ThroughputBucket, WebReads } from '../postgres/ops/web-reads.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/**
 * An outcome's finished_at is its transaction's start, and it commits a little later, so a
 * minute is taken as final this long after it ended; until then it is read at every refresh.
 */
const SETTLE_MS = 15_000;
/** History is read in ranges this long, one at a time: each a short query, however busy the log. */
const CHUNK_MS = 15 * MINUTE;

/** Counts of one bucket; null when that part of the history is not read yet. */
export interface SeriesPoint {
  at: Date;
  finished: number | null;
  failed: number | null;
}

export interface ThroughputSeries {
  /** The last 60 minutes, the current one last. */
  minutes: SeriesPoint[];
  /** The last 24 hours, the current one last. */
  hours: SeriesPoint[];
  /** Part of the day is still being read (in the background). */
  loading: boolean;
}

type Counts = { finished: number; failed: number };

/**
 * Throughput per minute over the last day, kept by the dashboard process: a finished minute
 * never changes, so it is read from the log once (in the background, newest first, in short
 * ranges) and every refresh reads only the last minutes. This keeps the Overview's cost
 * independent of the log's rate and size: a plain GROUP BY over a day of a busy log would
 * read millions of rows at every refresh.
 */
export class ThroughputHistory {
  private readonly settled = new Map<number, Counts>();
  /** The settled minutes held cover [from, to), both minute-aligned; null before the first read. */
  private from: number | null = null;
  private to: number | null = null;
  private filling: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly reads: WebReads) {}

  /** Stops the background reading and waits for a query in flight (before its pool closes). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.filling;
  }

  async read(): Promise<ThroughputSeries> {
    const now = (await this.reads.now()).getTime();
    const { settleLine, dayStart } = bounds(now);
    if (!this.filling && !this.stopped && (this.to === null || this.to < settleLine || this.from! > dayStart)) {
      // A failed fill is retried by the next read; the page shows what is there meanwhile.
      this.filling = this.fill().catch(() => {}).finally(() => (this.filling = undefined));
    }
    // The unsettled minutes, and settled ones the fill has not reached yet (bounded).
    const freshFrom = Math.max(settleLine - CHUNK_MS, Math.min(this.to ?? settleLine, settleLine));
    const fresh = new Map<number, Counts>();
    for (const b of await this.reads.throughputMinutes(new Date(freshFrom), new Date(now + MINUTE))) fresh.set(new Date(b.at).getTime(), b);
    const known = (minute: number): boolean =>
      minute >= freshFrom || (this.from !== null && minute >= this.from && minute < this.to!);
    const at = (minute: number): Counts | null => fresh.get(minute) ?? this.settled.get(minute) ?? (known(minute) ? { finished: 0, failed: 0 } : null);

    const currentMinute = Math.floor(now / MINUTE) * MINUTE;
    const minutes: SeriesPoint[] = [];
    for (let m = currentMinute - 59 * MINUTE; m <= currentMinute; m += MINUTE) {
      const c = at(m);
      minutes.push({ at: new Date(m), finished: c?.finished ?? null, failed: c?.failed ?? null });
    }
    const hours: SeriesPoint[] = [];
    let loading = false;
    for (let h = dayStart; h <= currentMinute; h += HOUR) {
      let finished = 0;
      let failed = 0;
      let complete = true;
      for (let m = h; m < h + HOUR && m <= currentMinute; m += MINUTE) {
        const c = at(m);
        if (!c) complete = false;
        else {
          finished += c.finished;
          failed += c.failed;
        }
      }
      if (!complete) loading = true;
      hours.push({ at: new Date(h), finished: complete ? finished : null, failed: complete ? failed : null });
    }
    return { minutes, hours, loading };
  }

  /** Reads settled minutes until the held history spans the day, newest first. */
  private async fill(): Promise<void> {
    while (!this.stopped) {
      const { settleLine, dayStart } = bounds((await this.reads.now()).getTime());
      if (this.to === null || this.from === null) this.from = this.to = settleLine;
      if (this.to < settleLine) {
        const to = Math.min(settleLine, this.to + CHUNK_MS);
        this.store(await this.reads.throughputMinutes(new Date(this.to), new Date(to)));
        this.to = to;
      } else if (this.from > dayStart) {
        const from = Math.max(dayStart, this.from - CHUNK_MS);
        this.store(await this.reads.throughputMinutes(new Date(from), new Date(this.from)));
        this.from = from;
      } else {
        for (const minute of this.settled.keys()) if (minute < dayStart) this.settled.delete(minute);
        this.from = Math.max(this.from, dayStart);
        return;
      }
    }
  }

  private store(buckets: ThroughputBucket[]): void {
    for (const b of buckets) this.settled.set(new Date(b.at).getTime(), { finished: b.finished, failed: b.failed });
  }
}

function bounds(now: number): { settleLine: number; dayStart: number } {
  return {
    // Minutes starting before this one ended more than SETTLE_MS ago.
    settleLine: Math.floor((now - SETTLE_MS - MINUTE) / MINUTE) * MINUTE + MINUTE,
    dayStart: Math.floor(now / HOUR) * HOUR - 23 * HOUR,
  };
}
