import { NotificationCheck } from '../notification-check.js';
import type { QueueBackend } from '../port/queue-backend.js';
import type { Subscription, WorkEvents } from '../port/rows.js';
import type { Logger } from '../types.js';
import type { ClaimLoop } from './claim-loop.js';
import type { HandOff } from './hand-off.js';
import type { StartupRetry } from './startup-retry.js';

/** The poll interval while notifications do not arrive (unless pollIntervalMs is shorter). */
const DEAF_POLL_MS = 200;

/** What the worker does with notifications: everything but the listener's own health. */
export type JobEvents = Omit<WorkEvents, 'reconnected' | 'probed' | 'error'>;

export interface WorkListenerParts {
  backend: QueueBackend;
  workerId: string;
  pollIntervalMs: number;
  logger: Logger;
  claims: ClaimLoop;
  handOff: HandOff | undefined;
  /** Claims go out (startup is done). */
  claiming: () => boolean;
}

/**
 * How a worker hears the database: its subscription, whether the listener is up, and whether
 * notifications are proven to arrive (a LISTEN through a transaction pooler succeeds and hears
 * nothing). While they do not arrive the worker polls faster and offers no hand-offs.
 */
export class WorkListener {
  private subscription: Subscription | undefined;
  /** The listener reported a failure and has not reconnected since. */
  private down = false;
  private readonly check: NotificationCheck;

  constructor(private readonly parts: WorkListenerParts) {
    const deafPollMs = Math.min(parts.pollIntervalMs, DEAF_POLL_MS);
    this.check = new NotificationCheck(parts.workerId, {
      listener: 'this worker',
      meanwhile: 'jobs are found by polling',
      send: (token) => parts.backend.probeNotifications(token),
      changed: (arriving) => {
        parts.claims.pollEvery(arriving ? parts.pollIntervalMs : deafPollMs);
        if (!arriving) parts.handOff?.listenerFailed();
        // Deaf until now: what was enqueued meanwhile waits for no notification.
        if (!arriving && parts.claiming()) parts.claims.wake(true);
      },
      fastPollMs: deafPollMs,
      logger: parts.logger,
    });
  }

  /** Subscribed, and the listener up. */
  get listening(): boolean {
    return this.subscription !== undefined && !this.down;
  }

  /** Notifications proven to arrive, and the listener up: jobs may be handed to this worker. */
  get hearing(): boolean {
    return this.check.notificationsProven && !this.down;
  }

  /** Subscribes (retried while the database is starting), then proves that notifications arrive. */
  async start(events: JobEvents, retry: StartupRetry): Promise<void> {
    const { claims, handOff, logger } = this.parts;
    this.subscription = await retry.attempt('listening for notifications', () =>
      this.parts.backend.subscribe(
        {
          ...events,
          reconnected: () => {
            this.down = false;
            void handOff?.listenerBack();
            logger.info({}, 'pgqueuer: notification listener reconnected');
            claims.wake(true);
            this.check.probe();
          },
          probed: (token) => this.check.received(token),
          error: (err) => {
            this.down = true;
            handOff?.listenerFailed();
            this.check.suspend();
            logger.warn({ err }, 'pgqueuer: notification listener failed; reconnecting (polling meanwhile)');
          },
        },
        handOff?.address,
      ),
    );
  }

  /** LISTEN succeeding is no proof: through a transaction pooler it hears nothing. */
  probe(): void {
    this.check.probe();
  }

  /** No more probes (the worker is stopping). */
  stopChecking(): void {
    this.check.stop();
  }

  async close(): Promise<void> {
    await this.subscription?.close().catch(() => {});
  }
}
