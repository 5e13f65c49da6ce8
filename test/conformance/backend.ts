import type { PgQueuer, PgQueuerOptions } from 'pgqueuer';

/** A backend the behaviour suites run on: PostgreSQL, or PgQueuer.inMemory(). */
export interface Backend {
  name: string;
  /** A fresh, empty queue. Options are merged over fast test timings. */
  open(options?: PgQueuerOptions): Promise<PgQueuer>;
}

export const FAST: PgQueuerOptions = { pollIntervalMs: 200, heartbeatIntervalMs: 100, shutdownTimeoutMs: 5_000 };

/** A queue for one test, with `start()` to run its worker; always stopped at the end. */
export type TestQueue = PgQueuer & { start(): Promise<void> };

export function queueRunner(backend: Backend) {
  return async function withQueue(options: PgQueuerOptions, body: (pgq: TestQueue) => Promise<void>): Promise<void> {
    const pgq = await backend.open({ ...FAST, ...options });
    let run: Promise<void> | undefined;
    try {
      await body(Object.assign(pgq, { start: () => (run = pgq.run({ handleSignals: false })) }));
    } finally {
      await pgq.stop();
      await run;
    }
  };
}
