import PgBoss from 'pg-boss';
import { QUEUE_NAME, type BenchPayload, type RunningWorker, type System } from './system.js';

export interface PgBossTuning {
  batchSize: number;
  pollingIntervalSeconds: number;
}

/**
 * pg-boss 10. Its worker has no LISTEN/NOTIFY: `work()` fetches up to `batchSize` jobs, runs the
 * handler on the batch, and then sleeps for what is left of `pollingIntervalSeconds` whether or
 * not the queue is empty (src/worker.js). One `work()` loop therefore tops out near
 * batchSize / pollingInterval jobs per second, and enqueue-to-start latency is about half the
 * polling interval. `pollingIntervalSeconds` 0.5 is the smallest pg-boss accepts.
 */
export function pgbossSystem(id: string, label: string, tuning: PgBossTuning): System {
  return {
    id,
    label,
    family: 'pgboss',
    pollOnlyIntervalMs: tuning.pollingIntervalSeconds * 1000,
    settings: `work() with batchSize ${tuning.batchSize}, pollingIntervalSeconds ${tuning.pollingIntervalSeconds} (minimum allowed; default 2), no LISTEN/NOTIFY, other options default`,

    async install(url) {
      const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false });
      boss.on('error', () => {});
      await boss.start();
      await boss.createQueue(QUEUE_NAME);
      await boss.stop({ graceful: false, wait: true });
    },

    async seed(client, count) {
      // pgboss.job is partitioned by queue name; the queue's partition exists after createQueue.
      // Column defaults are the ones insert() falls back to (retry_limit 2, expire_in 15 min, ...).
      await client.query(
        `INSERT INTO pgboss.job (name, data, policy)
         SELECT $1, '{}'::jsonb, (SELECT policy FROM pgboss.queue WHERE name = $1)
         FROM generate_series(1, $2::int)`,
        [QUEUE_NAME, count],
      );
    },

    async producer(url) {
      // A producer-only instance: maintenance and cron monitoring belong to the workers.
      const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false });
      boss.on('error', () => {});
      await boss.start();
      return {
        async enqueueBatch(payloads) {
          await boss.insert(payloads.map((data) => ({ name: QUEUE_NAME, data })));
        },
        async enqueueOne(payload) {
          await boss.send(QUEUE_NAME, payload);
        },
        close: () => boss.stop({ graceful: false, wait: true }),
      };
    },

    async startWorker(url, onJob): Promise<RunningWorker> {
      const boss = new PgBoss({ connectionString: url });
      let failure: unknown;
      boss.on('error', (err) => {
        failure ??= err;
      });
      await boss.start();
      await boss.work<BenchPayload>(
        QUEUE_NAME,
        { batchSize: tuning.batchSize, pollingIntervalSeconds: tuning.pollingIntervalSeconds },
        async (jobs) => {
          for (const job of jobs) onJob(job.data);
        },
      );
      return {
        async unfinished() {
          if (failure) throw failure;
          return boss.getQueueSize(QUEUE_NAME, { before: 'completed' });
        },
        async stop() {
          await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
        },
      };
    },
  };
}
