import { ConfigError, DuplicateJobError } from '../errors.js';
import type { QueueBackend } from '../port/queue-backend.js';
import { SYSTEM_ERRORS, tickPayload } from '../port/system-records.js';
import type { Clock, FinalStatus, JobError, JobHeaders, JobStatus, QueueSizeRow, TransactionClient } from '../types.js';
import type {
  CanceledJob,
  ClaimRequest,
  ClaimResult,
  Completion,
  CompletionEvents,
  EnqueueRow,
  FireTick,
  HeldJob,
  JobOutcome,
  LiveJob,
  PruneResult,
  ReleasedJob,
  RescuePolicy,
  RetentionPolicy,
  ScheduleRegistration,
  ScheduleRow,
  Subscription,
  WorkerInfo,
  WorkEvents,
} from '../port/rows.js';
import { systemClock } from './clock.js';
import { jsonbText } from './jsonb-text.js';

interface JobRecord {
  id: number;
  entrypoint: string;
  priority: number;
  status: JobStatus;
  /** Stored as JSON text, parsed afresh for each claim: handlers never share objects with producers. */
  payload: string;
  headers: string;
  executeAfter: number;
  dedupeKey: string | null;
  attempts: number;
  rescues: number;
  heartbeat: number | null;
  workerId: string | null;
  pickedAt: number | null;
  cancelRequested: boolean;
  createdAt: number;
}

interface LogRecord {
  id: number;
  jobId: number;
  entrypoint: string;
  status: FinalStatus | 'retried' | 'rescued';
  attempt: number;
  error: JobError | null;
  result: unknown;
  finishedAt: number;
}

/**
 * The queue in process memory, behind the same port as PostgreSQL, with the same rules: the
 * claim order, limits, token buckets, fencing by (worker, attempt), promotion of deferred
 * jobs, retries, rescue, cancellation and schedule compare-and-set mirror the SQL. What it
 * cannot do: share jobs across processes, or join a caller's pg transaction.
 */
export class MemoryBackend implements QueueBackend {
  private readonly jobs = new Map<number, JobRecord>();
  private readonly dedupe = new Map<string, number>();
  private readonly log: LogRecord[] = [];
  private readonly workers = new Map<string, WorkerInfo & { heartbeat: number }>();
  private readonly buckets = new Map<string, { tokens: number; refreshedAt: number }>();
  private readonly schedules = new Map<string, ScheduleRow>();
  private readonly workListeners = new Set<WorkEvents>();
  private readonly doneListeners = new Set<CompletionEvents>();
  private nextJobId = 1;
  private nextLogId = 1;
  private readonly unwatchClock: (() => void) | undefined;

  constructor(private readonly clock: Clock = systemClock) {
    this.unwatchClock = clock.onChange?.(() => this.emitWork((l) => l.timeChanged?.()));
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  async enqueue(rows: readonly EnqueueRow[], client?: TransactionClient): Promise<number[]> {
    if (client) {
      throw new ConfigError('PgQueuer.inMemory() cannot enqueue inside a pg transaction (the "client" option): that needs PostgreSQL');
    }
    const now = this.now();
    const batch = new Set<string>();
    const duplicates: Array<{ entrypoint: string; dedupeKey: string }> = [];
    for (const row of rows) {
      if (row.dedupeKey === null) continue;
      const key = dedupeKey(row.entrypoint, row.dedupeKey);
      // Each refused key once, however often the batch repeats it (as PostgreSQL's UNION does).
      if ((this.dedupe.has(key) || batch.has(key)) && !duplicates.some((d) => d.entrypoint === row.entrypoint && d.dedupeKey === row.dedupeKey)) {
        duplicates.push({ entrypoint: row.entrypoint, dedupeKey: row.dedupeKey });
      }
      batch.add(key);
    }
    if (duplicates.length > 0) throw new DuplicateJobError(duplicates);
    const ids: number[] = [];
    const earliest = new Map<string, number>();
    for (const row of rows) {
      const executeAfter = row.executeAt !== null ? Date.parse(row.executeAt) : now + (row.delayMs ?? 0);
      const job: JobRecord = {
        id: this.nextJobId++,
        entrypoint: row.entrypoint,
        priority: row.priority,
        status: executeAfter > now ? 'scheduled' : 'queued',
        payload: jsonbText(row.payload),
        headers: row.headers === null ? '{}' : jsonbText(row.headers),
        executeAfter,
        dedupeKey: row.dedupeKey,
        attempts: 0,
        rescues: 0,
        heartbeat: null,
        workerId: null,
        pickedAt: null,
        cancelRequested: false,
        createdAt: now,
      };
      this.jobs.set(job.id, job);
      if (job.dedupeKey !== null) this.dedupe.set(dedupeKey(job.entrypoint, job.dedupeKey), job.id);
      ids.push(job.id);
      earliest.set(job.entrypoint, Math.min(earliest.get(job.entrypoint) ?? Infinity, executeAfter));
    }
    // Like NOTIFY, delivered after the write is visible, one per entrypoint.
    for (const [entrypoint, at] of earliest) this.emitWork((l) => l.enqueued(entrypoint, Math.max(0, at - now)));
    return ids;
  }

  async claim(req: ClaimRequest): Promise<ClaimResult> {
    const now = this.now();
    const names = new Set(req.entrypoints.map((e) => e.name));
    if (req.promote) {
      for (const job of this.jobs.values()) {
        if (job.status === 'scheduled' && names.has(job.entrypoint) && job.executeAfter <= now) job.status = 'queued';
      }
    }
    const candidates: JobRecord[] = [];
    const throttled: string[] = [];
    for (const policy of req.entrypoints) {
      let cap = req.capacity;
      if (policy.concurrencyLimit > 0) {
        const running = this.count((j) => j.entrypoint === policy.name && j.status === 'picked');
        cap = Math.min(cap, Math.max(0, policy.concurrencyLimit - running));
      }
      if (policy.ratePerSecond > 0 && cap > 0) {
        const bucket = this.buckets.get(policy.name) ?? { tokens: policy.burst, refreshedAt: now };
        bucket.tokens = Math.min(policy.burst, bucket.tokens + (policy.ratePerSecond * Math.max(0, now - bucket.refreshedAt)) / 1000);
        bucket.refreshedAt = Math.max(bucket.refreshedAt, now);
        this.buckets.set(policy.name, bucket);
        if (Math.floor(bucket.tokens) < cap) throttled.push(policy.name);
        cap = Math.min(cap, Math.floor(bucket.tokens));
      }
      if (cap <= 0) continue;
      const queued = [...this.jobs.values()]
        .filter((j) => j.entrypoint === policy.name && j.status === 'queued' && j.executeAfter <= now)
        .sort(byPriorityThenId);
      candidates.push(...queued.slice(0, cap));
    }
    const picked = candidates.sort(byPriorityThenId).slice(0, req.capacity);
    for (const job of picked) {
      job.status = 'picked';
      job.attempts++;
      job.workerId = req.workerId;
      job.heartbeat = now;
      job.pickedAt = now;
      const policy = req.entrypoints.find((e) => e.name === job.entrypoint)!;
      if (policy.ratePerSecond > 0) this.buckets.get(job.entrypoint)!.tokens -= 1;
    }
    const runnable = (name: string) => this.count((j) => j.entrypoint === name && j.status === 'queued' && j.executeAfter <= now) > 0;
    const jobs = picked.map((job) => ({
      id: job.id,
      entrypoint: job.entrypoint,
      priority: job.priority,
      payload: JSON.parse(job.payload),
      headers: JSON.parse(job.headers) as JobHeaders,
      attempt: job.attempts,
      rescues: job.rescues,
      createdAtMs: job.createdAt,
      cancelRequested: job.cancelRequested,
      queuedMs: Math.max(0, now - job.executeAfter),
    }));
    return { jobs, rateLimited: throttled.filter(runnable) };
  }

  async complete(workerId: string, completions: readonly Completion[]): Promise<Set<number>> {
    const now = this.now();
    const accepted = new Set<number>();
    const done: number[] = [];
    const retried = new Map<string, number>();
    for (const c of completions) {
      const job = this.jobs.get(c.id);
      // Fenced like the SQL: only the worker holding this very attempt may record it.
      if (!job || job.status !== 'picked' || job.workerId !== workerId || job.attempts !== c.attempt) continue;
      accepted.add(job.id);
      const error = c.error ?? null;
      if (c.outcome === 'retried' && !job.cancelRequested) {
        const delay = c.retryDelayMs ?? 0;
        job.status = delay > 0 ? 'scheduled' : 'queued';
        job.executeAfter = now + delay;
        job.workerId = null;
        job.heartbeat = null;
        this.appendLog(job, 'retried', error, null, now);
        retried.set(job.entrypoint, Math.min(retried.get(job.entrypoint) ?? Infinity, delay));
        continue;
      }
      const status: FinalStatus =
        job.cancelRequested && (c.outcome === 'retried' || c.outcome === 'exception') ? 'canceled' : (c.outcome as FinalStatus);
      this.remove(job);
      this.appendLog(job, status, error, status === 'successful' && c.result !== undefined ? JSON.parse(jsonbText(c.result)) : null, now);
      done.push(job.id);
    }
    if (done.length > 0) this.emitDone(done);
    for (const [entrypoint, delay] of retried) this.emitWork((l) => l.enqueued(entrypoint, delay));
    return accepted;
  }

  async heartbeat(workerId: string, ids: readonly number[]): Promise<HeldJob[]> {
    const now = this.now();
    const worker = this.workers.get(workerId);
    if (worker) worker.heartbeat = now;
    const held: HeldJob[] = [];
    for (const id of ids) {
      const job = this.jobs.get(id);
      if (!job || job.workerId !== workerId || job.status !== 'picked') continue;
      job.heartbeat = now;
      held.push({ id, cancelRequested: job.cancelRequested });
    }
    return held;
  }

  async rescue(policies: readonly RescuePolicy[]): Promise<Map<string, number>> {
    const now = this.now();
    const after = new Map(policies.map((p) => [p.entrypoint, p.rescueAfterMs]));
    const rescued = new Map<string, number>();
    for (const job of this.jobs.values()) {
      const limit = after.get(job.entrypoint);
      if (limit === undefined || job.status !== 'picked' || job.heartbeat === null || job.heartbeat >= now - limit) continue;
      this.appendLog(job, 'rescued', SYSTEM_ERRORS.heartbeatTimeout, null, now);
      job.status = 'queued';
      job.workerId = null;
      job.heartbeat = null;
      job.rescues++;
      job.executeAfter = now;
      rescued.set(job.entrypoint, (rescued.get(job.entrypoint) ?? 0) + 1);
    }
    for (const entrypoint of rescued.keys()) this.emitWork((l) => l.enqueued(entrypoint, 0));
    return rescued;
  }

  async release(workerId: string, jobs: readonly ReleasedJob[]): Promise<void> {
    const now = this.now();
    const woken = new Set<string>();
    for (const { id, started } of jobs) {
      const job = this.jobs.get(id);
      if (!job || job.workerId !== workerId || job.status !== 'picked') continue;
      if (started) {
        job.rescues++;
        job.executeAfter = now;
        this.appendLog(job, 'rescued', SYSTEM_ERRORS.shutdownTimeout, null, now);
      } else {
        job.attempts--;
      }
      job.status = 'queued';
      job.workerId = null;
      job.heartbeat = null;
      woken.add(job.entrypoint);
    }
    for (const entrypoint of woken) this.emitWork((l) => l.enqueued(entrypoint, 0));
  }

  async cancel(ids: readonly number[]): Promise<CanceledJob[]> {
    const now = this.now();
    const found: CanceledJob[] = [];
    for (const id of ids) {
      const job = this.jobs.get(id);
      if (!job || found.some((f) => f.id === id)) continue;
      const running = job.status === 'picked';
      if (running) {
        job.cancelRequested = true;
      } else {
        this.remove(job);
        this.appendLog(job, 'canceled', null, null, now);
      }
      found.push({ id, entrypoint: job.entrypoint, running });
    }
    const flagged = found.filter((f) => f.running).map((f) => f.id);
    const removed = found.filter((f) => !f.running).map((f) => f.id);
    if (flagged.length > 0) this.emitWork((l) => l.cancelRequested(flagged));
    if (removed.length > 0) this.emitDone(removed);
    return found.sort((a, b) => a.id - b.id);
  }

  async queueSize(): Promise<QueueSizeRow[]> {
    const counts = new Map<string, QueueSizeRow>();
    for (const job of this.jobs.values()) {
      const key = `${job.entrypoint}\u0000${job.status}\u0000${job.priority}`;
      const row = counts.get(key) ?? { entrypoint: job.entrypoint, status: job.status, priority: job.priority, count: 0 };
      row.count++;
      counts.set(key, row);
    }
    return [...counts.values()].sort(
      (a, b) => a.entrypoint.localeCompare(b.entrypoint) || a.status.localeCompare(b.status) || b.priority - a.priority,
    );
  }

  async listJobs(entrypoint: string, limit: number): Promise<LiveJob[]> {
    return [...this.jobs.values()]
      .filter((j) => j.entrypoint === entrypoint)
      .sort((a, b) => a.id - b.id)
      .slice(0, limit)
      .map((j) => ({
        id: j.id,
        entrypoint: j.entrypoint,
        status: j.status,
        priority: j.priority,
        payload: JSON.parse(j.payload),
        headers: JSON.parse(j.headers) as JobHeaders,
        executeAfter: new Date(j.executeAfter),
        dedupeKey: j.dedupeKey,
        attempts: j.attempts,
        createdAt: new Date(j.createdAt),
      }));
  }

  async pendingCount(entrypoints: readonly string[]): Promise<number> {
    const names = new Set(entrypoints);
    const now = this.now();
    return this.count((j) => names.has(j.entrypoint) && (j.status !== 'scheduled' || j.executeAfter <= now));
  }

  async nextDueInMs(entrypoints: readonly string[]): Promise<number | null> {
    const names = new Set(entrypoints);
    let earliest = Infinity;
    for (const job of this.jobs.values()) {
      if (job.status === 'scheduled' && names.has(job.entrypoint)) earliest = Math.min(earliest, job.executeAfter);
    }
    return earliest === Infinity ? null : Math.max(0, earliest - this.now());
  }

  async outcomes(ids: readonly number[]): Promise<{ finished: JobOutcome[]; live: number[] }> {
    const finished: JobOutcome[] = [];
    const live: number[] = [];
    for (const id of new Set(ids)) {
      if (this.jobs.has(id)) {
        live.push(id);
        continue;
      }
      const entry = this.lastOutcome(id);
      if (!entry) continue;
      const outcome: JobOutcome = { id, status: entry.status as FinalStatus };
      if (entry.result !== null) outcome.result = entry.result;
      if (entry.error !== null) outcome.error = entry.error;
      finished.push(outcome);
    }
    return { finished, live };
  }

  async subscribeCompletions(events: CompletionEvents): Promise<Subscription> {
    this.doneListeners.add(events);
    return { close: async () => void this.doneListeners.delete(events) };
  }

  async subscribe(events: WorkEvents): Promise<Subscription> {
    this.workListeners.add(events);
    return { close: async () => void this.workListeners.delete(events) };
  }

  async prune(policy: RetentionPolicy): Promise<PruneResult> {
    const before = this.log.length;
    const cutoff = policy.maxAgeMs === null ? -Infinity : this.now() - policy.maxAgeMs;
    const keepFrom = policy.maxRows === null ? 0 : Math.max(0, this.log.length - policy.maxRows);
    const kept = this.log.filter((entry, i) => i >= keepFrom && entry.finishedAt >= cutoff);
    this.log.splice(0, this.log.length, ...kept);
    return { held: true, deleted: before - kept.length, more: false };
  }

  async databaseNow(): Promise<Date> {
    return this.clock.now();
  }

  async registerSchedules(schedules: readonly ScheduleRegistration[]): Promise<void> {
    const now = this.clock.now();
    for (const s of schedules) {
      const existing = this.schedules.get(s.name);
      const unchanged = existing && existing.expression === s.expression && existing.timezone === s.timezone;
      this.schedules.set(s.name, {
        name: s.name,
        expression: s.expression,
        timezone: s.timezone,
        missed: s.missed,
        nextRun: unchanged ? existing.nextRun : s.nextRun,
        lastRun: existing?.lastRun ?? null,
        registeredAt: now,
      });
    }
  }

  async readSchedules(names: readonly string[] | null): Promise<{ rows: ScheduleRow[]; dbNow: Date }> {
    const rows = [...this.schedules.values()]
      .filter((s) => names === null || names.includes(s.name))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((s) => ({ ...s }));
    return { rows, dbNow: this.clock.now() };
  }

  async fireTick(tick: FireTick): Promise<{ advanced: boolean; jobId: number | null }> {
    const schedule = this.schedules.get(tick.name);
    if (!schedule || schedule.nextRun.getTime() !== tick.expected.getTime() || schedule.nextRun.getTime() > this.now()) {
      return { advanced: false, jobId: null };
    }
    schedule.nextRun = tick.next;
    if (tick.scheduledAt === null) return { advanced: true, jobId: null };
    schedule.lastRun = tick.scheduledAt;
    const [jobId] = await this.enqueue([
      {
        entrypoint: tick.name,
        priority: tick.priority,
        payload: JSON.stringify(tickPayload(tick.scheduledAt)),
        headers: null,
        executeAt: null,
        delayMs: null,
        dedupeKey: null,
      },
    ]);
    return { advanced: true, jobId: jobId! };
  }

  async registerWorker(worker: WorkerInfo): Promise<void> {
    this.workers.set(worker.id, { ...worker, heartbeat: this.now() });
  }

  async unregisterWorker(workerId: string): Promise<void> {
    this.workers.delete(workerId);
  }

  async close(): Promise<void> {
    this.unwatchClock?.();
    this.workListeners.clear();
    this.doneListeners.clear();
  }

  private remove(job: JobRecord): void {
    this.jobs.delete(job.id);
    if (job.dedupeKey !== null) this.dedupe.delete(dedupeKey(job.entrypoint, job.dedupeKey));
  }

  private appendLog(job: JobRecord, status: LogRecord['status'], error: JobError | null, result: unknown, now: number): void {
    this.log.push({ id: this.nextLogId++, jobId: job.id, entrypoint: job.entrypoint, status, attempt: job.attempts, error, result, finishedAt: now });
  }

  private lastOutcome(jobId: number): LogRecord | undefined {
    for (let i = this.log.length - 1; i >= 0; i--) {
      const entry = this.log[i]!;
      if (entry.jobId === jobId && (entry.status === 'successful' || entry.status === 'exception' || entry.status === 'canceled')) return entry;
    }
    return undefined;
  }

  private count(predicate: (job: JobRecord) => boolean): number {
    let n = 0;
    for (const job of this.jobs.values()) if (predicate(job)) n++;
    return n;
  }

  /** Delivered on a later tick, as a notification arrives after the statement that sent it. */
  private emitWork(deliver: (listener: WorkEvents) => void): void {
    for (const listener of this.workListeners) setImmediate(() => deliver(listener));
  }

  private emitDone(ids: number[]): void {
    for (const listener of this.doneListeners) setImmediate(() => listener.done(ids));
  }
}

function dedupeKey(entrypoint: string, key: string): string {
  return `${entrypoint}\u0000${key}`;
}

function byPriorityThenId(a: JobRecord, b: JobRecord): number {
  return b.priority - a.priority || a.id - b.id;
}
