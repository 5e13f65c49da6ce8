import { randomBytes } from 'node:crypto';
import type { ResolvedEntrypoint } from '../options.js';
import type { QueueBackend } from '../port/queue-backend.js';
import type { HandOffAddress } from '../port/rows.js';
import { handOffKey } from '../port/hand-off-key.js';
import type { Logger } from '../types.js';

/**
 * Ids remembered: of jobs given back, so a notification of one that arrives late is not run;
 * of jobs taken, so one whose outcome could not be written is left to the rescuer (which
 * records it) rather than given back as if it never ran.
 */
const IDS_KEPT = 10_000;

export interface HandOffParts {
  port: NonNullable<QueueBackend['handOff']>;
  workerId: string;
  /** The entrypoints it takes handed-off jobs of: its ones without limits. */
  entrypoints: readonly string[];
  heartbeatIntervalMs: number;
  logger: Logger;
  /** How many more jobs the worker could start now (less than none when it holds more ahead). */
  free(): number;
  /** The ids of every job the worker holds. */
  held(): number[];
}

/**
 * Whether two keys are the same, in time that does not depend on where they differ (as
 * crypto.timingSafeEqual, without making two Buffers: a third of the check's time after idleness).
 */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** A worker's hand-off, where its backend has one and some entrypoint has no limits (the claim counts those). */
export function handOffFor(
  backend: QueueBackend,
  entrypoints: readonly ResolvedEntrypoint[],
  parts: Omit<HandOffParts, 'port' | 'entrypoints'>,
): HandOff | undefined {
  const plain = entrypoints.filter((e) => e.concurrencyLimit === 0 && e.ratePerSecond === 0 && e.groupConcurrency === 0);
  if (!backend.handOff || plain.length === 0) return undefined;
  return new HandOff({ ...parts, port: backend.handOff, entrypoints: plain.map((e) => e.name) });
}

/**
 * The worker's side of hand-off (QueueBackend.handOff). While its claims come back short it
 * waits in the database with its free slots, so an enqueue can give it a job directly; a full
 * claim (a backlog) takes it out again, and so does a listener that is not shown to hear.
 * Each heartbeat interval it refreshes that entry, whose expiry is how a crashed worker stops
 * being offered jobs.
 *
 * A hand-off announced while its listener was down is lost with it. When the listener fails,
 * the worker withdraws its entry; once the listener is back and the entry is gone (or expired),
 * nothing more can be on its way, and what it was handed but never heard of goes back to the
 * queue. Only then does it wait for hand-offs again. Stopping does the same, hearing nothing
 * more once it began.
 */
export class HandOff {
  /** Slots the database should offer: 0 for none. */
  private wanted = 0;
  /** What the database was last told (0: no entry); `left`: less the hand-offs received since. */
  private written = 0;
  private left = 0;
  /** `wanted` changed, or the entry is due a refresh, since the writer last read it. */
  private pending = false;
  private writing: Promise<void> | undefined;
  /** It was offered jobs since it last made sure none were lost. */
  private offeredSince = false;
  /** Its listener failed since: hand-offs may have been lost. */
  private lostSome = false;
  private readonly givenBack = new Set<number>();
  private readonly taken = new Set<number>();
  /** Its own channel and key secret, known to the database's waiting list alone. */
  readonly address: HandOffAddress = { channel: `pgq_h_${randomBytes(12).toString('hex')}`, secret: randomBytes(16).toString('hex') };
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly parts: HandOffParts) {}

  start(): void {
    this.timer = setInterval(() => this.beat(), this.parts.heartbeatIntervalMs);
  }

  /**
   * A claim came back: `full` when it took all it asked for (there is a backlog); `hearing`
   * when notifications are shown to reach this worker.
   */
  claimed(full: boolean, hearing: boolean): void {
    if (full || !hearing || this.lostSome) return this.want(0);
    const free = this.free();
    // Waiting already with most of what it could take: leave the entry alone.
    if (this.written > 0 && this.left > free / 2) return;
    this.want(free);
  }

  /**
   * The listener failed, or is not shown to hear (a probe did not come back): what was handed
   * off from now until its entry is gone may be lost.
   */
  listenerFailed(): void {
    if (this.offeredSince || this.written > 0) this.lostSome = true;
    this.want(0);
  }

  /** The listener is back: look for what was lost, if the entry is gone by now. */
  async listenerBack(): Promise<void> {
    if (this.lostSome) await this.reclaim();
  }

  /**
   * A hand-off arrived: whether to run it. Not one whose key is not an enqueue's (anyone may
   * NOTIFY), nor a second one of a job already taken (an enqueue announces each job once: a
   * repeat is a replay by someone who heard the first), nor while stopping or after the
   * listener failed: such a job goes back with the ones that were lost (running it while that
   * statement is out could run it twice), nor one already given back.
   */
  received(id: number, key: string): boolean {
    if (!sameText(key, handOffKey(this.address.secret, id))) {
      this.parts.logger.warn({ jobId: id }, 'pgqueuer: ignored a hand-off notification whose key is wrong (not sent by an enqueue)');
      return false;
    }
    if (this.taken.has(id)) {
      this.parts.logger.warn({ jobId: id }, 'pgqueuer: ignored a second hand-off notification of a job already taken (a replay)');
      return false;
    }
    if (this.stopped || this.lostSome || this.givenBack.has(id)) return false;
    remember(this.taken, id);
    this.left = Math.max(0, this.left - 1);
    // Less the slot this job is about to take.
    if (this.wanted > 0 && this.left <= this.written / 2) this.want(Math.max(0, this.free() - 1));
    return true;
  }

  /** Offers nothing more, then gives back what was handed off but not heard of. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.want(0);
    this.stopped = true;
    while (this.writing) await this.writing;
    if (this.offeredSince) await this.reclaim();
  }

  private free(): number {
    return Math.max(0, this.parts.free());
  }

  private want(slots: number, refresh = false): void {
    if (this.stopped) return;
    // Unchanged if the database has it already: no entry, or an entry with `left` slots.
    const unchanged = slots === 0 ? this.written === 0 : slots === this.left;
    if (unchanged && slots === this.wanted && !refresh) return;
    this.wanted = slots;
    this.pending = true;
    this.startWriting();
  }

  private startWriting(): void {
    this.writing ??= this.write().finally(() => {
      this.writing = undefined;
      if (this.pending) this.startWriting();
    });
  }

  /** Writes what is wanted until the database has the latest of it. */
  private async write(): Promise<void> {
    const { port, workerId, entrypoints, heartbeatIntervalMs, logger } = this.parts;
    while (this.pending) {
      this.pending = false;
      const slots = this.wanted;
      try {
        if (slots > 0) {
          this.offeredSince = true;
          await port.park({ workerId, entrypoints, slots, ttlMs: 3 * heartbeatIntervalMs, address: this.address });
        } else if (this.written > 0) await port.unpark(workerId);
        this.written = this.left = slots;
      } catch (err) {
        // An optimisation only: the entry expires by itself, and claims find every job.
        logger.debug({ err }, 'pgqueuer: could not update the hand-off entry');
      }
    }
  }

  private beat(): void {
    if (this.lostSome) {
      // Withdrawn again if that failed, else left to expire; then what was lost goes back.
      this.want(0);
      void this.reclaim();
    } else if (this.written > 0) {
      // Refreshed even when unchanged, so its expiry moves on; with no free slot, withdrawn.
      this.want(this.free(), true);
    }
  }

  private async reclaim(): Promise<void> {
    await this.writing;
    try {
      const { offered, ids } = await this.parts.port.reclaimLost(this.parts.workerId, [...this.parts.held(), ...this.taken]);
      if (offered) return;
      this.offeredSince = this.lostSome = false;
      if (ids.length === 0) return;
      // Stopping, it is a race with enqueues of the last moment; otherwise notifications were lost.
      const level = this.stopped ? 'debug' : 'warn';
      this.parts.logger[level]({ jobs: ids }, 'pgqueuer: jobs handed to this worker that it did not take are back in the queue');
      for (const id of ids) remember(this.givenBack, id);
    } catch (err) {
      this.parts.logger.debug({ err }, 'pgqueuer: could not look for lost hand-offs; next interval');
    }
  }
}

/** Adds `id`, forgetting the oldest beyond IDS_KEPT. */
function remember(ids: Set<number>, id: number): void {
  ids.add(id);
  if (ids.size > IDS_KEPT) ids.delete(ids.values().next().value!);
}
