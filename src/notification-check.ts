import type { Logger } from './types.js';

/** When the check probes, and how long it waits. */
export interface NotificationCheckTiming {
  /** How long a probe may take to come back. Generous: a busy server delays it too. */
  timeoutMs: number;
  /** How often to probe again while notifications arrive (a listener can go deaf later). */
  recheckArrivingMs: number;
  /** How often to probe again while they do not, to notice when they arrive again. */
  recheckMissingMs: number;
}

export const NOTIFICATION_CHECK_TIMING: NotificationCheckTiming = {
  timeoutMs: 3_000,
  recheckArrivingMs: 60_000,
  recheckMissingMs: 10_000,
};

export interface NotificationCheckParts {
  /** Who listens, for the warning: "this worker", "waitFor". */
  listener: string;
  /** What polling stands in for, for the warning: "jobs are found by polling". */
  meanwhile: string;
  /** Sends a probe the way the listened-for notifications travel. */
  send(token: string): Promise<void>;
  /** Notifications stopped (false) or started again (true) arriving. */
  changed(arriving: boolean): void;
  /** The poll interval used while they are missing, for the warning. */
  fastPollMs: number;
  logger: Logger;
}

/**
 * Whether a listener's notifications arrive. Behind a pooler in transaction mode (PgBouncer
 * with `pool_mode=transaction`) LISTEN succeeds, but the session it ran in is handed to other
 * clients, so nothing ever arrives and every job (or wait) would take a whole poll interval.
 * The listener's owner (a worker, the completion watcher) NOTIFYs itself once listening, after
 * its listener reconnects and periodically; a probe that does not come back in time means
 * notifications are missing: warn once, saying what to set, and poll fast until one does.
 */
export class NotificationCheck {
  /** Assumed until a probe says otherwise: the owner starts at its normal poll interval. */
  private arriving = true;
  /** A probe came back, and none has gone missing since. */
  private heard = false;
  private warned = false;
  private sequence = 0;
  private pending: { token: string; timer: NodeJS.Timeout } | undefined;
  private recheck: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    /** Tells this listener's probes from other processes' on the shared channel. */
    private readonly prefix: string,
    private readonly parts: NotificationCheckParts,
    private readonly timing: NotificationCheckTiming = NOTIFICATION_CHECK_TIMING,
  ) {}

  get notificationsArrive(): boolean {
    return this.arriving;
  }

  /** Shown to arrive: a probe came back, none went missing since, and the listener is not down. */
  get notificationsProven(): boolean {
    return this.heard;
  }

  /** Probes now (a newer probe replaces one still out), then again periodically. */
  probe(): void {
    if (this.stopped) return;
    clearTimeout(this.recheck);
    if (this.pending) clearTimeout(this.pending.timer);
    const token = `${this.prefix}:${++this.sequence}`;
    this.pending = { token, timer: setTimeout(() => this.timedOut(token), this.timing.timeoutMs) };
    this.parts.send(token).catch((err: unknown) => {
      // The database did not take the NOTIFY: that says nothing about notifications (the
      // claim loop reports an unreachable database); ask again later.
      if (this.pending?.token !== token) return;
      clearTimeout(this.pending.timer);
      this.pending = undefined;
      this.parts.logger.debug({ err }, 'pgqueuer: could not send the notification probe; probing again later');
      this.scheduleRecheck();
    });
  }

  /** A probe arrived on the listened channel. */
  received(token: string): void {
    // Another process's probe says nothing about this listener.
    if (this.stopped || !token.startsWith(`${this.prefix}:`)) return;
    // Even a late one proves notifications reach this listener.
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = undefined;
    this.heard = true;
    this.set(true);
    this.scheduleRecheck();
  }

  /**
   * The listener is down (reconnecting): a probe now would only show that, and its owner
   * already polls. No verdict until `probe()` is called again, once it is back.
   */
  suspend(): void {
    this.heard = false;
    clearTimeout(this.recheck);
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = undefined;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.recheck);
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = undefined;
  }

  private timedOut(token: string): void {
    if (this.pending?.token !== token) return;
    this.pending = undefined;
    this.heard = false;
    this.set(false);
    this.scheduleRecheck();
  }

  private set(arriving: boolean): void {
    if (arriving === this.arriving) return;
    this.arriving = arriving;
    if (!arriving) {
      const facts = { probeTimeoutMs: this.timing.timeoutMs, pollIntervalMs: this.parts.fastPollMs };
      // Once per listener: a pooler in front keeps it deaf for good, and a warning a minute is noise.
      if (!this.warned) {
        this.warned = true;
        this.parts.logger.warn(
          facts,
          `pgqueuer: notifications do not arrive (a NOTIFY ${this.parts.listener} sent itself did not come back within ${this.timing.timeoutMs} ms), ` +
            `so ${this.parts.meanwhile}. Behind PgBouncer with pool_mode=transaction, LISTEN needs a direct connection to PostgreSQL: ` +
            `set listenConnection (or PGQ_LISTEN_URL, pgq --listen-url). Polling every ${this.parts.fastPollMs} ms until notifications arrive`,
        );
      } else {
        this.parts.logger.debug(facts, 'pgqueuer: notifications stopped arriving again; polling fast');
      }
    } else {
      this.parts.logger.info({}, 'pgqueuer: notifications arrive again; back to the normal poll interval');
    }
    this.parts.changed(arriving);
  }

  private scheduleRecheck(): void {
    if (this.stopped) return;
    clearTimeout(this.recheck);
    this.recheck = setTimeout(() => this.probe(), this.arriving ? this.timing.recheckArrivingMs : this.timing.recheckMissingMs);
  }
}
