import { install, PgQueuer, type PgQueuerOptions } from '../../src/index.js';
import { QUEUE_NAME, type BenchPayload, type RunningWorker, type System } from './system.js';

/**
 * pgqueuer through its public API only. The main row uses the defaults, because the README
 * promises that the defaults are the fast path; a tuned row passes `workerOptions`.
 */
export function pgqueuerSystem(
  id: string,
  label: string,
  workerOptions: PgQueuerOptions = {},
  variant: { note?: string; afterInstall?: (url: string) => Promise<void> } = {},
): System {
  const concurrency = workerOptions.concurrency ?? 32;
  return {
    id,
    label,
    family: 'pgqueuer',
    settings: `concurrency ${concurrency}; claims when half its capacity is free, holding up to 50 ms of work (at most 4,096 jobs, 16 MiB of payload) ahead of its slots, next claim overlapping outcome writes; single enqueues handed straight to an idle worker; LISTEN/NOTIFY, poll ${workerOptions.pollIntervalMs ?? 1000} ms${variant.note ? `; ${variant.note}` : ''}`,
    ...(id === 'pgqueuer' ? {} : { sameProducerAs: 'pgqueuer' }),

    async install(url) {
      await install(url);
      await variant.afterInstall?.(url);
    },

    async seed(client, count) {
      // The table is pgqueuer's own; one INSERT ... SELECT is what `enqueueMany` does, minus
      // building a JSON document of a million rows on the client.
      await client.query(
        `INSERT INTO pgqueuer.jobs (entrypoint, payload) SELECT $1, '{}'::jsonb FROM generate_series(1, $2::int)`,
        [QUEUE_NAME, count],
      );
    },

    async producer(url) {
      const pgq = await PgQueuer.connect(url);
      return {
        async enqueueBatch(payloads) {
          await pgq.enqueueMany(payloads.map((payload) => ({ entrypoint: QUEUE_NAME, payload })));
        },
        async enqueueOne(payload) {
          await pgq.enqueue(QUEUE_NAME, payload);
        },
        close: () => pgq.stop(),
      };
    },

    async startWorker(url, onJob): Promise<RunningWorker> {
      const pgq = await PgQueuer.connect(url, workerOptions);
      pgq.entrypoint<BenchPayload>(QUEUE_NAME, async (job) => {
        onJob(job.payload);
      });
      let failure: unknown;
      const running = pgq.run({ handleSignals: false }).catch((err: unknown) => {
        failure = err;
      });
      return {
        async unfinished() {
          if (failure) throw failure;
          const rows = await pgq.queueSize();
          return rows.reduce((sum, r) => sum + r.count, 0);
        },
        async stop() {
          await pgq.stop();
          await running;
          if (failure) throw failure;
        },
      };
    },
  };
}
