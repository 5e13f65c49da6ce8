import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE_NAME, type BenchPayload, type ExternalStore, type RunningWorker, type StoreInfo, type System } from './system.js';

/** The Redis BullMQ runs on: REDIS_URL, else the machine's own. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** BullMQ's key prefix for every benchmark queue (its default is "bull"), so nothing else is touched. */
const PREFIX = 'pgqbench';
/** Job ids handled per Lua call when seeding, copying or deleting: each call blocks Redis ~50 ms, not seconds. */
const CHUNK = 20_000;

export interface BullMqTuning {
  concurrency: number;
}

/**
 * BullMQ on Redis. Every measurement's queue is named after the PostgreSQL database the harness
 * made for it (`pgqbench_<pid>_<n>_bullmq_<purpose>`), so no run sees another's jobs; the
 * database itself stays empty.
 *
 * The worker runs BullMQ's defaults apart from `concurrency` (default 1): completed jobs are
 * kept (no `removeOnComplete`), stalled-job checks, lock renewal and the blocking wait for new
 * jobs (`drainDelay` 5 s, woken at once by an add) as shipped.
 */
export function bullmqSystem(tuning: BullMqTuning): System {
  const connection: ConnectionOptions = { url: REDIS_URL };
  const queueOf = (url: string): string => decodeURIComponent(new URL(url).pathname.slice(1));
  const queue = (url: string): Queue => new Queue(queueOf(url), { connection, prefix: PREFIX });
  const store = new RedisStore(queueOf);
  return {
    id: 'bullmq',
    label: 'BullMQ',
    family: 'bullmq',
    settings:
      `Worker concurrency ${tuning.concurrency}, other options default (completed jobs kept, lockDuration 30 s, ` +
      `blocking fetch woken by the add's marker); Queue.addBulk / Queue.add; Redis at ${redactRedis(REDIS_URL)}`,
    store,

    async install() {
      // A queue needs no schema: its keys appear with its first job.
    },

    async seed(_client, count, url) {
      // One job through BullMQ's own add(), so its hash has exactly the fields BullMQ writes,
      // then copied server-side to ids 2..count and pushed onto the wait list in the same order
      // add() pushes (LPUSH; workers take from the other end). add() also appends 'added' and
      // 'waiting' entries to the queue's event stream, which only QueueEvents listeners read.
      const q = queue(url);
      try {
        await q.add(QUEUE_NAME, {});
      } finally {
        await q.close();
      }
      await store.replicateFirstJob(queueOf(url), count);
    },

    async producer(url) {
      const q = queue(url);
      await q.waitUntilReady();
      return {
        async enqueueBatch(payloads) {
          await q.addBulk(payloads.map((data) => ({ name: QUEUE_NAME, data })));
        },
        async enqueueOne(payload) {
          await q.add(QUEUE_NAME, payload);
        },
        close: () => q.close(),
      };
    },

    async startWorker(url, onJob): Promise<RunningWorker> {
      let failure: unknown;
      const worker = new Worker<BenchPayload>(
        queueOf(url),
        async (job) => {
          onJob(job.data);
        },
        { connection, prefix: PREFIX, concurrency: tuning.concurrency },
      );
      worker.on('error', (err) => {
        failure ??= err;
      });
      worker.on('failed', (_job, err) => {
        failure ??= err;
      });
      const counter = queue(url);
      await Promise.all([worker.waitUntilReady(), counter.waitUntilReady()]);
      return {
        async unfinished() {
          if (failure) throw failure;
          const counts = await counter.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
          return Object.values(counts).reduce((sum, n) => sum + n, 0);
        },
        async stop() {
          await worker.close();
          await counter.close();
        },
      };
    },
  };
}

/** The keys of one queue besides its jobs' hashes (BullMQ's QueueKeys, plus the metrics keys). */
const QUEUE_KEYS = [
  '', 'active', 'wait', 'waiting-children', 'paused', 'id', 'delayed', 'prioritized', 'stalled-check', 'completed',
  'failed', 'stalled', 'repeat', 'limiter', 'meta', 'events', 'pc', 'marker', 'de', 'metrics:completed',
  'metrics:completed:data', 'metrics:failed', 'metrics:failed:data',
];

// Jobs are `<prefix>:<queue>:<id>` hashes with ids 1..n (BullMQ's counter, `<queue>:id`).
const REPLICATE = `
local p, first, last = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
for i = first, last do
  redis.call('COPY', p .. '1', p .. i)
  redis.call('LPUSH', p .. 'wait', i)
end
redis.call('SET', p .. 'id', last)
return last`;
const COPY_JOBS = `
local from, to, first, last = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
for i = first, last do redis.call('COPY', from .. i, to .. i) end
return last`;
// DEL takes 500 keys at a time: three times faster than a call per key.
const DELETE_JOBS = `
local p, first, last = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local keys = {}
for i = first, last do
  keys[#keys + 1] = p .. i
  if #keys == 500 or i == last then
    redis.call('DEL', unpack(keys))
    keys = {}
  end
end
return last`;

/**
 * The harness's side of BullMQ's storage: what a template database clone and drop are for
 * PostgreSQL. A backlog is seeded once per size and copied key by key (COPY, server-side) for
 * each measurement: about 2 s for a million jobs, against ~40 s through addBulk.
 */
class RedisStore implements ExternalStore {
  private client: Redis | undefined;

  constructor(private readonly queueOf: (url: string) => string) {}

  async describe(): Promise<StoreInfo> {
    const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    // connect() rejects with "Connection is closed."; the cause (ECONNREFUSED, ...) is emitted.
    let cause: Error | undefined;
    redis.on('error', (err: Error) => {
      cause ??= err;
    });
    try {
      await redis.connect();
      const info = parseInfo(await redis.info('server'));
      const config = async (name: string): Promise<string> => {
        const reply = (await redis.config('GET', name).catch(() => [])) as string[];
        return reply[1] ?? '?';
      };
      return {
        name: 'Redis',
        version: info.redis_version ?? '?',
        address: redactRedis(REDIS_URL),
        settings: {
          appendonly: await config('appendonly'),
          appendfsync: await config('appendfsync'),
          save: JSON.stringify(await config('save')),
          maxmemory: await config('maxmemory'),
        },
      };
    } catch (err) {
      const reason = (cause ?? (err as Error)).message;
      throw new Error(`no Redis answered at ${redactRedis(REDIS_URL)} (${reason}); start one or set REDIS_URL`);
    } finally {
      redis.disconnect();
    }
  }

  async replicateFirstJob(queue: string, count: number): Promise<void> {
    const p = keyPrefix(queue);
    for (let first = 2; first <= count; first += CHUNK) {
      await this.redis().eval(REPLICATE, 0, p, String(first), String(Math.min(count, first + CHUNK - 1)));
    }
  }

  async clone(fromUrl: string, toUrl: string): Promise<void> {
    const from = keyPrefix(this.queueOf(fromUrl));
    const to = keyPrefix(this.queueOf(toUrl));
    const redis = this.redis();
    const last = Number((await redis.get(`${from}id`)) ?? 0);
    for (let first = 1; first <= last; first += CHUNK) {
      await redis.eval(COPY_JOBS, 0, from, to, String(first), String(Math.min(last, first + CHUNK - 1)));
    }
    for (const key of ['wait', 'id', 'meta', 'marker', 'events']) await redis.copy(`${from}${key}`, `${to}${key}`);
  }

  async drop(url: string): Promise<void> {
    const p = keyPrefix(this.queueOf(url));
    const redis = this.redis();
    const last = Number((await redis.get(`${p}id`)) ?? 0);
    for (let first = 1; first <= last; first += CHUNK) {
      await redis.eval(DELETE_JOBS, 0, p, String(first), String(Math.min(last, first + CHUNK - 1)));
    }
    await redis.unlink(...QUEUE_KEYS.map((k) => `${p}${k}`));
  }

  /**
   * Also sweeps whatever a drop did not name (a job's lock or log key, left by a worker that
   * died): every key of a queue this process made, `pgqbench:pgqbench_<pid>_*`.
   */
  async close(): Promise<void> {
    if (!this.client) return;
    const redis = this.client;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}:${PREFIX}_${process.pid}_*`, 'COUNT', 10_000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
    this.client = undefined;
  }

  private redis(): Redis {
    this.client ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
    return this.client;
  }
}

function keyPrefix(queue: string): string {
  return `${PREFIX}:${queue}:`;
}

function parseInfo(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(/\r?\n/)
      .filter((line) => line.includes(':') && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
  );
}

/** The Redis address without a password, for the report. */
export function redactRedis(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.username ? `${u.username}@` : ''}${u.host}${u.pathname === '/' ? '' : u.pathname}`;
}
