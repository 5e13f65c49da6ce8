import { PgBoss, type ConstructorOptions, type WorkOptions } from 'pg-boss';
import pg from 'pg';
import { QUEUE_NAME, type BenchPayload, type RunningWorker, type System } from './system.js';

export interface PgBossTuning {
  batchSize: number;
  pollingIntervalSeconds: number;
  /**
   * pg-boss 12's fast paths, off by default: LISTEN/NOTIFY wake-ups (`useListenNotify` on the
   * instance and `notify` on the queue) and `burstWhenBatchFull` (fetch again at once while a
   * fetch comes back full, instead of sleeping out the polling interval).
   */
  fast: boolean;
}

/**
 * pg-boss 12. `work()` fetches up to `batchSize` jobs, runs the handler once on the batch, and
 * then sleeps for what is left of the polling interval unless something says not to
 * (node_modules/pg-boss/dist/worker.js; `resolveInterval` in dist/manager.js): a NOTIFY for
 * the queue (only with `useListenNotify` and a queue with `notify: true`) or a burst trigger
 * (`burstWhenBatchFull`: the last fetch was full). Without those (its defaults), one `work()`
 * loop tops out near batchSize / pollingInterval jobs per second, and enqueue-to-start latency
 * is about half the polling interval; 0.5 s is the shortest interval it accepts.
 */
export function pgbossSystem(id: string, label: string, tuning: PgBossTuning): System {
  const base = `work() with batchSize ${tuning.batchSize} (one handler call per batch), pollingIntervalSeconds ${tuning.pollingIntervalSeconds} (minimum allowed; default 2)`;
  const settings = tuning.fast
    ? `${base}, burstWhenBatchFull, useListenNotify + queue notify (notifyPollingIntervalSeconds default 30), other options default`
    : `${base}, no LISTEN/NOTIFY (off by default), no burst mode, other options default`;
  const instance = (url: string, extra: Partial<ConstructorOptions> = {}): PgBoss => new PgBoss({ connectionString: url, ...extra });
  return {
    id,
    label,
    // One layout (and one set of seeded templates) for both rows: the queue is created without
    // `notify`, pg-boss's default, and the fast row turns it on in its own clone (see notifyOn).
    family: 'pgboss',
    ...(tuning.fast
      ? {}
      : {
          pollOnlyIntervalMs: tuning.pollingIntervalSeconds * 1000,
          skips: {
            depth:
              `its worker sleeps ${tuning.pollingIntervalSeconds} s after every fetch of ${tuning.batchSize}, so it drains ` +
              `${Math.round(tuning.batchSize / tuning.pollingIntervalSeconds)} jobs/s at any depth; pg-boss tuned (no sleep while batches are full) measures its fetch at depth`,
          },
        }),
    settings,

    async install(url) {
      const boss = instance(url, { supervise: false, schedule: false });
      boss.on('error', () => {});
      await boss.start();
      await boss.createQueue(QUEUE_NAME);
      await boss.stop({ graceful: false });
    },

    async seed(client, count) {
      // What insert() writes for a job with no options: the queue's policy, retry and retention
      // settings copied onto the row (insertJobs in dist/plans.js), into the queue's table.
      await client.query(
        `INSERT INTO pgboss.job (name, data, policy, retry_limit, retry_delay, retry_backoff, retry_delay_max,
                                 expire_seconds, deletion_seconds, keep_until, dead_letter, heartbeat_seconds)
         SELECT q.name, '{}'::jsonb, q.policy, q.retry_limit, q.retry_delay, q.retry_backoff, q.retry_delay_max,
                q.expire_seconds, q.deletion_seconds, now() + q.retention_seconds * interval '1 second', q.dead_letter, q.heartbeat_seconds
         FROM pgboss.queue q, generate_series(1, $2::int)
         WHERE q.name = $1`,
        [QUEUE_NAME, count],
      );
    },

    async producer(url) {
      if (tuning.fast) await notifyOn(url);
      // A producer-only instance: maintenance and cron monitoring belong to the workers.
      const boss = instance(url, { supervise: false, schedule: false });
      boss.on('error', () => {});
      await boss.start();
      return {
        async enqueueBatch(payloads) {
          await boss.insert(
            QUEUE_NAME,
            payloads.map((data) => ({ data })),
          );
        },
        async enqueueOne(payload) {
          await boss.send(QUEUE_NAME, payload);
        },
        close: () => boss.stop({ graceful: false }),
      };
    },

    async startWorker(url, onJob): Promise<RunningWorker> {
      if (tuning.fast) await notifyOn(url);
      const boss = instance(url, tuning.fast ? { useListenNotify: true } : {});
      let failure: unknown;
      boss.on('error', (err) => {
        failure ??= err;
      });
      await boss.start();
      const options: WorkOptions = {
        batchSize: tuning.batchSize,
        pollingIntervalSeconds: tuning.pollingIntervalSeconds,
        ...(tuning.fast ? { burstWhenBatchFull: true } : {}),
      };
      await boss.work<BenchPayload>(QUEUE_NAME, options, async (jobs) => {
        for (const job of jobs) onJob(job.data);
      });
      // A connection of our own for counting: getQueue()'s counts come from a cache that
      // maintenance refreshes about once a minute.
      const counter = new pg.Client({ connectionString: url });
      await counter.connect();
      return {
        async unfinished() {
          if (failure) throw failure;
          const { rows } = await counter.query<{ n: string }>(
            `SELECT count(*) AS n FROM pgboss.job WHERE name = $1 AND state < 'completed'`,
            [QUEUE_NAME],
          );
          return Number(rows[0]!.n);
        },
        async stop() {
          await boss.stop({ graceful: true, timeout: 10_000 });
          await counter.end();
        },
      };
    },
  };
}

/**
 * Sets the queue's `notify` option (inserts then also send a NOTIFY) through pg-boss's own
 * updateQueue(), from an instance of its own: an instance reads queue options into a cache when
 * it starts, so the producer and worker instances started after this see the option at once.
 */
async function notifyOn(url: string): Promise<void> {
  const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false, migrate: false });
  boss.on('error', () => {});
  await boss.start();
  try {
    await boss.updateQueue(QUEUE_NAME, { notify: true });
  } finally {
    await boss.stop({ graceful: false });
  }
}
