/**
 * A worker process for the chaos suite. Its handler records each run in the ledger table
 * (chaos_exec) before doing its "work", marks it done after, and returns. Prints "ready" once
 * running and "stopped" after a graceful stop.
 *
 *   DATABASE_URL      the test database
 *   WORKER_TAG        this process's name in the ledger
 *   CHAOS_SEED        seeds the handler's random work time and self-kills
 *   WORK_MAX_MS       each run takes 0..WORK_MAX_MS ms (default 5)
 *   DIE_MID_HANDLER   probability per run of SIGKILLing itself between recording and returning
 *   DIE_COMPLETING    probability per run of SIGKILLing itself 0-2 ms after returning, while
 *                     the outcome is being batched or written
 *   CRON              a 6-field cron spec: also run the schedule "tick" (recorded in chaos_ticks)
 *   CONCURRENCY       default 8
 *   RESCUE_AFTER_MS   default 1000: jobs of killed workers come back quickly
 *   HEARTBEAT_MS      default 200
 */
import pg from 'pg';
import { PgQueuer, type Job } from '../../../src/index.js';
import { random, recordRun } from './ledger.js';

const tag = process.env.WORKER_TAG ?? `w${process.pid}`;
const rand = random(Number(process.env.CHAOS_SEED ?? 1) ^ process.pid);
const workMaxMs = Number(process.env.WORK_MAX_MS ?? 5);
const dieMidHandler = Number(process.env.DIE_MID_HANDLER ?? 0);
const dieCompleting = Number(process.env.DIE_COMPLETING ?? 0);

const ledger = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
ledger.on('error', () => {});
const pgq = await PgQueuer.connect(process.env.DATABASE_URL, {
  concurrency: Number(process.env.CONCURRENCY ?? 8),
  pollIntervalMs: 200,
  heartbeatIntervalMs: Number(process.env.HEARTBEAT_MS ?? 200),
  shutdownTimeoutMs: 10_000,
  metrics: false,
});
const die = (): void => {
  process.kill(process.pid, 'SIGKILL');
};

const policy = { rescueAfterMs: Number(process.env.RESCUE_AFTER_MS ?? 1_000), retry: { maxAttempts: 50, initialDelayMs: 20, maxDelayMs: 200 } };
const work = async (job: Job): Promise<void> => {
  await recordRun(ledger, job, tag);
  if (rand() < dieMidHandler) die();
  if (workMaxMs > 0) await new Promise((resolve) => setTimeout(resolve, rand() * workMaxMs));
  await ledger.query('UPDATE chaos_exec SET done = true WHERE job_id = $1 AND attempt = $2', [job.id, job.attempt]);
  if (rand() < dieCompleting) setTimeout(die, rand() * 2);
};
pgq.entrypoint('chaos', policy, work);
// The last job of a flow (enqueued `after` two chaos jobs): notes whether both parents had
// succeeded when it started, then works like any chaos job.
pgq.entrypoint('chaos_flow', policy, async (job, ctx) => {
  const parentsOk = ctx.parents.length === 2 && ctx.parents.every((p) => p.status === 'successful');
  await ledger.query('INSERT INTO chaos_flow (job_id, attempt, parents_ok) VALUES ($1, $2, $3)', [job.id, job.attempt, parentsOk]);
  await work(job);
});

if (process.env.CRON) {
  pgq.schedule('tick', process.env.CRON, async ({ scheduledAt }) => {
    await ledger.query('INSERT INTO chaos_ticks (scheduled_at, worker) VALUES ($1, $2)', [scheduledAt, tag]);
  });
}

const running = pgq.run();
process.stdout.write('ready\n');
await running;
await ledger.end();
process.stdout.write('stopped\n');
