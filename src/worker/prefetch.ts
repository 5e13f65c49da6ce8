import type { ClaimedJob } from '../port/rows.js';

/** Claim-ahead holds about this much work per slot, by the recent average handler duration. */
export const PREFETCH_HORIZON_MS = 50;
/**
 * And at most this many jobs. Claims of hundreds of rows cost far less per job than claims of
 * a few dozen (measured: 26k -> 37k no-op jobs/s from 32 to 256), and with claims overlapping
 * outcome writes the gains go on into the thousands: a 200,000-job drain on PostgreSQL 15 ran
 * at 42-48k jobs/s with 1,024, 51-55k with 2,048 and 58-63k with 4,096 (bench/profile-drain.ts,
 * alternating).
 */
export const MAX_PREFETCH = 4_096;
/**
 * And at most about this much payload (as JSON text): a claim-ahead of thousands of large
 * payloads would hold a worker's memory, not just its share of the queue.
 */
export const MAX_PREFETCH_PAYLOAD_BYTES = 16 * 1024 * 1024;

/**
 * Sizes the claim-ahead: how many jobs a worker holds claimed beyond its free slots. Fast
 * handlers get big claims (few round trips per job); slow ones get none, so no job waits in
 * one worker while another idles. Nothing is claimed ahead before the first handler finished.
 */
export class PrefetchSizer {
  /** Moving average of handler durations; none before the first. */
  private averageMs: number | undefined;
  /** Average payload size of the jobs claimed so far. */
  private payloadBytesPerJob = 0;
  private jobsSeen = 0;

  constructor(private readonly concurrency: number) {}

  /** A handler took `durationMs`: the average follows it by a tenth of the difference. */
  observe(durationMs: number): void {
    this.averageMs = this.averageMs === undefined ? durationMs : this.averageMs + (durationMs - this.averageMs) * 0.1;
  }

  /**
   * A claim brought `jobs` jobs with `payloadBytes` of payload. The average weighs the recent
   * claims most (each claim counts at least a tenth), so a change of payloads shows soon.
   */
  claimed(jobs: number, payloadBytes: number): void {
    if (jobs === 0) return;
    this.jobsSeen = Math.min(this.jobsSeen + jobs, 10 * jobs);
    this.payloadBytesPerJob += (payloadBytes - jobs * this.payloadBytesPerJob) / this.jobsSeen;
  }

  /**
   * Jobs to hold claimed ahead of the slots: about PREFETCH_HORIZON_MS of work at the current
   * pace, within MAX_PREFETCH jobs and MAX_PREFETCH_PAYLOAD_BYTES of payload.
   */
  target(): number {
    if (this.averageMs === undefined) return 0;
    const perSlot = PREFETCH_HORIZON_MS / Math.max(this.averageMs, 0.01);
    const byPayload = MAX_PREFETCH_PAYLOAD_BYTES / Math.max(this.payloadBytesPerJob, 1);
    return Math.floor(Math.min(MAX_PREFETCH, byPayload, this.concurrency * perSlot));
  }

  /** How many jobs the next claim asks for (see claimRoom): the target is the slots plus the claim-ahead. */
  room(held: number, unwritten: number): number {
    return claimRoom({ target: this.concurrency + this.target(), held, unwritten });
  }
}

/**
 * Jobs claimed ahead, taken highest priority first (then oldest). A claim usually arrives in
 * that order already, so adding is a check, not a sort; taking moves an index, not the array.
 */
export class PrefetchQueue {
  private jobs: ClaimedJob[] = [];
  private head = 0;

  get length(): number {
    return this.jobs.length - this.head;
  }

  add(claimed: readonly ClaimedJob[]): void {
    if (claimed.length === 0) return;
    const jobs = this.head === 0 ? this.jobs : this.jobs.slice(this.head);
    const wasEmpty = jobs.length === 0;
    for (const job of claimed) jobs.push(job);
    this.jobs = jobs;
    this.head = 0;
    if (!wasEmpty || !inOrder(claimed)) jobs.sort(byPriorityThenId);
  }

  take(): ClaimedJob | undefined {
    if (this.head >= this.jobs.length) return undefined;
    const job = this.jobs[this.head++]!;
    if (this.head === this.jobs.length) this.clear();
    return job;
  }

  takeAll(): ClaimedJob[] {
    const all = this.jobs.slice(this.head);
    this.clear();
    return all;
  }

  ids(): number[] {
    const ids: number[] = [];
    for (let i = this.head; i < this.jobs.length; i++) ids.push(this.jobs[i]!.id);
    return ids;
  }

  /** Drops the jobs `test` picks, returning them. */
  remove(test: (job: ClaimedJob) => boolean): ClaimedJob[] {
    const removed: ClaimedJob[] = [];
    const kept: ClaimedJob[] = [];
    for (let i = this.head; i < this.jobs.length; i++) (test(this.jobs[i]!) ? removed : kept).push(this.jobs[i]!);
    if (removed.length > 0) {
      this.jobs = kept;
      this.head = 0;
    }
    return removed;
  }

  private clear(): void {
    this.jobs = [];
    this.head = 0;
  }
}

function byPriorityThenId(a: ClaimedJob, b: ClaimedJob): number {
  return b.priority - a.priority || a.id - b.id;
}

function inOrder(jobs: readonly ClaimedJob[]): boolean {
  for (let i = 1; i < jobs.length; i++) if (byPriorityThenId(jobs[i - 1]!, jobs[i]!) > 0) return false;
  return true;
}

/**
 * How many jobs a worker's next claim asks for: what it lacks of `target` (its slots plus the
 * claim-ahead), given the jobs it `held` (running or claimed ahead) and its outcomes still
 * `unwritten`; 0 while it holds enough.
 */
function claimRoom({ target, held, unwritten }: { target: number; held: number; unwritten: number }): number {
  // Outcomes waiting to be written do not hold slots up to one target's worth: the next
  // claim goes out while they are written, so the database works on both at once. Beyond
  // that they do, so a slow database holds the worker back instead of letting it pile up
  // picked jobs whose outcomes wait.
  const holding = held + Math.max(0, unwritten - target);
  const free = target - holding;
  // A busy worker refills when half its capacity is free: one claim per many jobs.
  return free <= 0 || (holding > 0 && free < Math.ceil(target / 2)) ? 0 : free;
}
