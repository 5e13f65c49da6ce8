import type { JobRecord } from './records.js';

/** Who holds a dedupe key: a live job, or one that ended within its dedupe window. */
export interface KeyHolder {
  kind: 'live' | 'window';
  jobId: number;
}

/** One name for an entrypoint's dedupe key. */
export function dedupeName(entrypoint: string, key: string): string {
  return `${entrypoint}\u0000${key}`;
}

/**
 * The dedupe keys in memory: those of live jobs (PostgreSQL's partial unique index on jobs)
 * and those kept after their job ended, for its dedupe window (dedupe_reservations).
 */
export class DedupeKeys {
  private readonly live = new Map<string, number>();
  private readonly windows = new Map<string, { jobId: number; expiresAt: number }>();

  holderOf(entrypoint: string, key: string, now: number): KeyHolder | undefined {
    const name = dedupeName(entrypoint, key);
    const live = this.live.get(name);
    if (live !== undefined) return { kind: 'live', jobId: live };
    const window = this.windows.get(name);
    if (window && window.expiresAt > now) return { kind: 'window', jobId: window.jobId };
    return undefined;
  }

  /** A live job takes its key. */
  hold(job: JobRecord): void {
    if (job.dedupeKey !== null) this.live.set(dedupeName(job.entrypoint, job.dedupeKey), job.id);
  }

  /** A job lets go of its key (deleted, held, or ended). */
  free(job: JobRecord): void {
    if (job.dedupeKey !== null) this.live.delete(dedupeName(job.entrypoint, job.dedupeKey));
  }

  /** A job ended: its key is freed, or kept for its window. */
  ended(job: JobRecord, now: number): void {
    this.free(job);
    if (job.dedupeKey !== null && job.dedupeWindowMs !== null) {
      this.windows.set(dedupeName(job.entrypoint, job.dedupeKey), { jobId: job.id, expiresAt: now + job.dedupeWindowMs });
    }
  }

  /** Forgets the windows that have passed (retention's sweep, as in PostgreSQL). */
  dropExpired(now: number): void {
    for (const [name, window] of this.windows) if (window.expiresAt < now) this.windows.delete(name);
  }
}
