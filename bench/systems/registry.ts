import type { System } from './system.js';

/**
 * Every system the harness knows, by id, loaded on demand: a worker child process imports only
 * the library it measures, so its RSS is that system's alone.
 *
 * Concurrency is matched where the libraries allow: pgqueuer's default is 32 handlers at once,
 * so graphile-worker tuned gets `concurrentJobs` 32, BullMQ `concurrency` 32 and pg-boss a
 * `batchSize` of 32 (pg-boss runs a fetched batch as one handler call).
 *
 * pg-boss tuned: the same worker with what pg-boss 12 offers for throughput and latency, all off
 * by default: LISTEN/NOTIFY wake-ups and burst fetching while batches come back full.
 *
 * pgqueuer tuned: concurrency 64, twice the handler slots. Before the worker claimed ahead of
 * its slots this was the best drain among 32…256 (bigger claims); with claim-ahead the defaults
 * come within a few percent of it, which this row keeps showing.
 *
 * What a success costs (only on request, for A/B drains against the defaults): without
 * metrics, and with the log UNLOGGED (a bench-only change: pgqueuer keeps its log durable).
 */
const LOADERS: Record<string, () => Promise<System>> = {
  pgqueuer: async () => (await import('./pgqueuer.js')).pgqueuerSystem('pgqueuer', 'pgqueuer'),
  'pgqueuer-tuned': async () =>
    (await import('./pgqueuer.js')).pgqueuerSystem('pgqueuer-tuned', 'pgqueuer tuned', { concurrency: 64 }),
  'pgqueuer-no-metrics': async () =>
    (await import('./pgqueuer.js')).pgqueuerSystem('pgqueuer-no-metrics', 'pgqueuer, metrics off', { metrics: false }),
  'pgqueuer-unlogged-log': async () =>
    (await import('./pgqueuer.js')).pgqueuerSystem('pgqueuer-unlogged-log', 'pgqueuer, UNLOGGED log', {}, {
      note: 'job_log made UNLOGGED after install (bench only)',
      afterInstall: async (url) => (await import('./unlogged-log.js')).makeLogUnlogged(url),
    }),
  graphile: async () => (await import('./graphile.js')).graphileSystem('graphile', 'graphile-worker'),
  'graphile-tuned': async () =>
    (await import('./graphile.js')).graphileSystem('graphile-tuned', 'graphile tuned', {
      concurrentJobs: 32,
      localQueueSize: 500,
      completeJobBatchDelay: 0,
    }),
  pgboss: async () =>
    (await import('./pgboss.js')).pgbossSystem('pgboss', 'pg-boss', { batchSize: 32, pollingIntervalSeconds: 0.5, fast: false }),
  'pgboss-tuned': async () =>
    (await import('./pgboss.js')).pgbossSystem('pgboss-tuned', 'pg-boss tuned', { batchSize: 32, pollingIntervalSeconds: 0.5, fast: true }),
  bullmq: async () => (await import('./bullmq.js')).bullmqSystem({ concurrency: 32 }),
  'raw-sql': async () => (await import('./raw-sql.js')).rawSqlSystem(),
};

export const SYSTEM_IDS = Object.keys(LOADERS);

/**
 * The peers measured against pgqueuer when `--peers` is not given (pgqueuer-tuned only on
 * request: with it, the default run no longer fits in 10 minutes on a 2-core machine).
 */
export const DEFAULT_PEERS = ['graphile', 'graphile-tuned', 'pgboss', 'pgboss-tuned', 'bullmq', 'raw-sql'];

export async function loadSystem(id: string): Promise<System> {
  const load = LOADERS[id];
  if (!load) throw new Error(`unknown system "${id}"; known: ${SYSTEM_IDS.join(', ')}`);
  return load();
}
