import { Logger, makeWorkerUtils, run, runMigrations } from 'graphile-worker';
import pg from 'pg';
import { QUEUE_NAME, type BenchPayload, type RunningWorker, type System } from './system.js';

// graphile-worker logs every job at info level by default; printing would be measured too.
const silent = new Logger(() => () => {});

/** The settings graphile-worker's performance docs advise for high throughput. */
export interface GraphileTuning {
  concurrentJobs: number;
  localQueueSize: number;
  completeJobBatchDelay: number;
}

/**
 * graphile-worker 0.18. Without `tuning` it runs with its defaults: `concurrentJobs` 1, no local
 * queue (one `get_job` round trip per job), completions unbatched, `maxPoolSize` 10.
 */
export function graphileSystem(id: string, label: string, tuning?: GraphileTuning): System {
  const settings = tuning
    ? `concurrentJobs ${tuning.concurrentJobs}, localQueue.size ${tuning.localQueueSize}, completeJobBatchDelay ${tuning.completeJobBatchDelay}, ` +
      `failJobBatchDelay 0, maxPoolSize ${tuning.concurrentJobs + 2} (docs: "concurrentJobs + 2"), LISTEN/NOTIFY`
    : 'defaults: concurrentJobs 1, no local queue (one get_job per job), unbatched completions, maxPoolSize 10, LISTEN/NOTIFY';
  return {
    id,
    label,
    family: 'graphile',
    settings,
    ...(tuning ? { sameProducerAs: 'graphile' } : {}),

    async install(url) {
      await runMigrations({ connectionString: url, logger: silent });
    },

    async seed(client, count) {
      // add_jobs is graphile-worker's documented SQL API; addJobs() calls the same function.
      await client.query(
        `SELECT count(*) FROM graphile_worker.add_jobs(ARRAY(
           SELECT ROW($1, '{}'::json, NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec
           FROM generate_series(1, $2::int)))`,
        [QUEUE_NAME, count],
      );
    },

    async producer(url) {
      const utils = await makeWorkerUtils({ connectionString: url, logger: silent });
      return {
        async enqueueBatch(payloads) {
          await utils.addJobs(payloads.map((payload) => ({ identifier: QUEUE_NAME, payload })));
        },
        async enqueueOne(payload) {
          await utils.addJob(QUEUE_NAME, payload);
        },
        close: async () => {
          await utils.release();
        },
      };
    },

    async startWorker(url, onJob): Promise<RunningWorker> {
      const runner = await run({
        connectionString: url,
        logger: silent,
        noHandleSignals: true,
        crontab: '',
        taskList: {
          [QUEUE_NAME]: async (payload) => {
            onJob(payload as BenchPayload);
          },
        },
        ...(tuning
          ? {
              concurrency: tuning.concurrentJobs,
              maxPoolSize: tuning.concurrentJobs + 2,
              preset: {
                worker: {
                  localQueue: { size: tuning.localQueueSize },
                  completeJobBatchDelay: tuning.completeJobBatchDelay,
                  failJobBatchDelay: tuning.completeJobBatchDelay,
                },
              },
            }
          : {}),
      });
      // A connection of our own for counting: the runner's pool is not public.
      const counter = new pg.Client({ connectionString: url });
      await counter.connect();
      return {
        async unfinished() {
          const { rows } = await counter.query<{ n: string }>('SELECT count(*) AS n FROM graphile_worker.jobs');
          return Number(rows[0]!.n);
        },
        async stop() {
          await runner.stop();
          await counter.end();
        },
      };
    },
  };
}
