import { PgQueuer, type PgQueuerOptions } from '../../src/index.js';

/** Timings short enough for tests; every behaviour is the production code path. */
export const FAST: PgQueuerOptions = {
  pollIntervalMs: 200,
  heartbeatIntervalMs: 100,
  shutdownTimeoutMs: 5_000,
};

export function openQueue(url: string, options: PgQueuerOptions = {}): Promise<PgQueuer> {
  return PgQueuer.connect(url, { install: true, ...FAST, ...options });
}

/** Starts `pgq.run()` without signal handling and returns a function that stops it and awaits the end. */
export function startWorker(pgq: PgQueuer): () => Promise<void> {
  const running = pgq.run({ handleSignals: false });
  return async () => {
    await pgq.stop();
    await running;
  };
}
