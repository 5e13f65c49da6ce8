import { ConfigError, DuplicateJobError, ParentNotFoundError, type DuplicateKey } from '../errors.js';
import type { QueueBackend } from '../port/queue-backend.js';
import { SYSTEM_ERRORS, tickPayload } from '../port/system-records.js';
import type {
  AttemptStatus,
  Clock,
  FinalStatus,
  JobError,
  JobInfo,
  JobPage,
  JobSummary,
  ParentResult,
  QueueSizeRow,
  RequeueTarget,
  TransactionClient,
} from '../types.js';
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
  JobQuery,
  LiveJob,
  PayloadSample,
  PayloadSampleQuery,
  PayloadVersionCount,
  PayloadVersionQuery,
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
import { PARENTS_HEADER } from '../port/rows.js';
import { systemClock } from './clock.js';
import { DedupeKeys, dedupeName, type KeyHolder } from './dedupe-keys.js';
import { GroupLines, groupOfHeaders, takeGroupTurns } from './group-turns.js';
import { JobHistory, type AttemptRun } from './job-history.js';
import { claimedView, endedSummary, liveJobView, liveSummary } from './job-views.js';
import { countPayloadVersions, samplePayloads } from './payload-versions.js';
import { newJobRecord, type JobRecord, type LogRecord } from './records.js';
import { ScheduleBook } from './schedule-book.js';
import { compareText } from './text-order.js';
import { TokenBuckets } from './token-buckets.js';
import { jsonbText } from './jsonb-text.js';

/**
 * The queue in process memory, behind the same port as PostgreSQL, with the same rules (the
 * contract suite, test/contract, holds both to them): the claim order, limits, pauses, token
 * buckets, fencing by (worker, attempt), promotion of deferred jobs, retries, snoozes, holds,
 * rescue, cancellation, dedupe modes and windows, and schedule compare-and-set mirror the
 * SQL. What it cannot do: share jobs across processes, or join a caller's pg transaction.
 */
export class MemoryBackend implements QueueBackend {
  private readonly jobs = new Map<number, JobRecord>();
  private readonly keys = new DedupeKeys();
  private readonly paused = new Set<string>();
  private readonly history = new JobHistory();
  private readonly workers = new Map<string, WorkerInfo & { heartbeat: number }>();
  private readonly buckets = new TokenBuckets();
  private readonly schedules = new ScheduleBook();
  private readonly workListeners = new Set<WorkEvents>();
  private readonly doneListeners = new Set<CompletionEvents>();
  /** Parent id → the jobs enqueued to wait for it, oldest first. */
  private readonly children = new Map<number, number[]>();
  /** Per group-limited entrypoint, the highest turn claimed (job_group_cursors.turn). */
  private readonly claimedTurns = new Map<string, number>();
  private nextJobId = 1;
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
    // First every refusal: a refused batch writes nothing.
    const refused: DuplicateKey[] = [];
    const refuse = (row: EnqueueRow, reason: DuplicateKey['reason']) => {
      if (!refused.some((d) => d.entrypoint === row.entrypoint && d.dedupeKey === row.dedupeKey)) {
        refused.push({ entrypoint: row.entrypoint, dedupeKey: row.dedupeKey!, reason });
      }
    };
    const holders = rows.map((row) => (row.dedupeKey === null ? undefined : this.holderOf(row.entrypoint, row.dedupeKey, now)));
    const seen = new Set<string>();
    rows.forEach((row, i) => {
      if (row.dedupeKey === null) return;
      const key = dedupeName(row.entrypoint, row.dedupeKey);
      const holder = holders[i];
      if (seen.has(key)) refuse(row, 'batch');
      seen.add(key);
      if (!holder) return;
      if (row.onConflict === 'error') refuse(row, holder.kind === 'window' ? 'window' : 'live');
      else if (row.onConflict === 'replace' && (holder.kind === 'window' || !['queued', 'scheduled'].includes(holder.job!.status))) {
        refuse(row, holder.kind === 'window' ? 'window' : 'running');
      }
    });
    if (refused.length > 0) throw new DuplicateJobError(refused);
    const missing = [...new Set(rows.flatMap((row) => (row.after ?? []).flatMap((link) => ('id' in link ? [link.id] : []))))]
      .filter((id) => !this.jobs.has(id) && !this.lastFinal(id))
      .sort((a, b) => a - b);
    if (missing.length > 0) throw new ParentNotFoundError(missing);

    const ids: number[] = [];
    const earliest = new Map<string, number>();
    // Each entrypoint's group lines, built once per call: a batch lines its jobs up in order.
    const lines = new Map<string, GroupLines>();
    rows.forEach((row, i) => {
      const executeAfter = row.executeAt !== null ? Date.parse(row.executeAt) : now + (row.delayMs ?? 0);
      const holder = holders[i];
      if (holder && row.onConflict === 'skip') {
        ids.push(holder.jobId);
        return;
      }
      if (holder && row.onConflict === 'replace') {
        const job = holder.job!;
        job.payload = jsonbText(row.payload);
        job.headers = row.headers === null ? '{}' : jsonbText(row.headers);
        const group = groupOfHeaders(job.headers);
        const moved = group !== job.group || row.priority !== job.priority;
        job.group = group;
        job.priority = row.priority;
        job.executeAfter = executeAfter;
        job.status = executeAfter > now ? 'scheduled' : 'queued';
        // As the trigger on a replace that changes the group or the priority: in line afresh.
        if (moved) {
          job.turn = group === '' ? null : this.groupLines(job.entrypoint, job.id).turnOf(job, false);
          lines.delete(job.entrypoint);
        }
        ids.push(job.id);
        earliest.set(job.entrypoint, Math.min(earliest.get(job.entrypoint) ?? Infinity, executeAfter));
        return;
      }
      const parents = row.after?.map((link) => ('id' in link ? link.id : ids[link.item]!)) ?? null;
      const headers = parents === null ? row.headers : JSON.stringify({ ...(row.headers === null ? {} : JSON.parse(row.headers)), [PARENTS_HEADER]: parents });
      const job = newJobRecord(this.nextJobId++, row.entrypoint, row.priority, jsonbText(row.payload), headers === null ? '{}' : jsonbText(headers), executeAfter, now);
      job.dedupeKey = row.dedupeKey;
      job.dedupeWindowMs = row.dedupeWindowMs;
      ids.push(job.id);
      if (parents !== null) {
        job.parents = parents;
        job.runOnParentFailure = row.runOnParentFailure;
        const distinct = [...new Set(parents)];
        for (const parent of distinct) this.children.set(parent, [...(this.children.get(parent) ?? []), job.id]);
        job.blockedBy = distinct.filter((parent) => this.jobs.has(parent)).length;
        const failed = distinct.find((parent) => ['exception', 'canceled'].includes(this.lastFinal(parent)?.status ?? ''));
        if (failed !== undefined && !job.runOnParentFailure) {
          // As in PostgreSQL: canceled at once, so a wait on it ends.
          this.appendLog(job, 'canceled', parentFailure(failed, this.lastFinal(failed)!.status), null, now, { workerId: null, durationMs: null, pickedAt: null });
          this.emitDone([job.id]);
          return;
        }
        if (job.blockedBy > 0) {
          job.status = 'blocked';
          this.insert(job, lines);
          return;
        }
      }
      this.insert(job, lines);
      earliest.set(job.entrypoint, Math.min(earliest.get(job.entrypoint) ?? Infinity, executeAfter));
    });
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
      if (this.paused.has(policy.name)) continue;
      let cap = req.capacity;
      if (policy.concurrencyLimit > 0) {
        const running = this.count((j) => j.entrypoint === policy.name && j.status === 'picked');
        cap = Math.min(cap, Math.max(0, policy.concurrencyLimit - running));
      }
      if (policy.ratePerSecond > 0 && cap > 0) {
        const tokens = this.buckets.available(policy.name, policy.ratePerSecond, policy.burst, now);
        if (tokens < cap) throttled.push(policy.name);
        cap = Math.min(cap, tokens);
      }
      if (cap <= 0) continue;
      const queued = [...this.jobs.values()].filter((j) => j.entrypoint === policy.name && j.status === 'queued' && j.executeAfter <= now);
      const ungrouped = queued.filter((j) => j.group === '').sort(byPriorityThenId).slice(0, cap);
      const running = new Map<string, number>();
      for (const j of this.jobs.values()) {
        if (j.entrypoint === policy.name && j.status === 'picked' && j.group !== '') running.set(j.group, (running.get(j.group) ?? 0) + 1);
      }
      const grouped = takeGroupTurns(queued.filter((j) => j.group !== ''), running, policy.groupConcurrency, cap);
      candidates.push(...[...ungrouped, ...grouped].sort(byPriorityThenId).slice(0, cap));
    }
    const picked = candidates.sort(byPriorityThenId).slice(0, req.capacity);
    for (const job of picked) {
      const policy = req.entrypoints.find((e) => e.name === job.entrypoint)!;
      if (policy.groupConcurrency > 0 && job.turn !== null) {
        this.claimedTurns.set(job.entrypoint, Math.max(this.claimedTurns.get(job.entrypoint) ?? 0, job.turn));
      }
    }
    for (const job of picked) {
      job.status = 'picked';
      job.attempts++;
      job.workerId = req.workerId;
      job.heartbeat = now;
      job.pickedAt = now;
      const policy = req.entrypoints.find((e) => e.name === job.entrypoint)!;
      if (policy.ratePerSecond > 0) this.buckets.spend(job.entrypoint);
    }
    const runnable = (name: string) => this.count((j) => j.entrypoint === name && j.status === 'queued' && j.executeAfter <= now) > 0;
    const jobs = picked.map((job) => claimedView(job, now));
    const payloadBytes = picked.reduce((bytes, job) => bytes + job.payload.length, 0);
    return { jobs, rateLimited: throttled.filter(runnable), payloadBytes };
  }

  async complete(workerId: string, completions: readonly Completion[]): Promise<Set<number>> {
    const now = this.now();
    const accepted = new Set<number>();
    const done: number[] = [];
    const again = new Map<string, number>();
    for (const c of completions) {
      const job = this.jobs.get(c.id);
      // Fenced like the SQL: only the worker holding this very attempt may record it.
      if (!job || job.status !== 'picked' || job.workerId !== workerId || job.attempts !== c.attempt) continue;
      accepted.add(job.id);
      const error = c.error ?? null;
      const log = { workerId, durationMs: c.durationMs, pickedAt: job.pickedAt };
      if ((c.outcome === 'retried' || c.outcome === 'snoozed') && !job.cancelRequested) {
        const delay = c.retryDelayMs ?? 0;
        job.status = delay > 0 ? 'scheduled' : 'queued';
        job.executeAfter = now + delay;
        if (c.outcome === 'snoozed') job.snoozes++;
        job.workerId = null;
        job.heartbeat = null;
        this.appendLog(job, c.outcome, error, null, now, log);
        again.set(job.entrypoint, Math.min(again.get(job.entrypoint) ?? Infinity, delay));
        continue;
      }
      if (c.outcome === 'held' && !job.cancelRequested) {
        this.appendLog(job, 'exception', error, null, now, log);
        job.status = 'held';
        job.error = error;
        this.keys.free(job);
        job.dedupeKey = null;
        job.workerId = null;
        job.heartbeat = null;
        done.push(job.id);
        continue;
      }
      // A job canceled while it ran ends canceled, however its handler ended.
      const status: FinalStatus = job.cancelRequested ? 'canceled' : (c.outcome as FinalStatus);
      this.finish(job, status, error, status === 'successful' && c.result !== undefined ? JSON.parse(jsonbText(c.result)) : null, now, log);
      done.push(job.id);
    }
    if (done.length > 0) this.emitDone(done);
    for (const [entrypoint, delay] of again) this.emitWork((l) => l.enqueued(entrypoint, delay));
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
      this.appendLog(job, 'rescued', SYSTEM_ERRORS.heartbeatTimeout, null, now, { workerId: job.workerId, durationMs: null, pickedAt: job.pickedAt });
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
        this.appendLog(job, 'rescued', SYSTEM_ERRORS.shutdownTimeout, null, now, { workerId, durationMs: null, pickedAt: job.pickedAt });
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
      if (running) job.cancelRequested = true;
      else this.finish(job, 'canceled', null, null, now, { workerId: null, durationMs: null, pickedAt: null });
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
      const row = counts.get(key) ?? { entrypoint: job.entrypoint, status: job.status, priority: job.priority, count: 0, paused: this.paused.has(job.entrypoint) };
      row.count++;
      counts.set(key, row);
    }
    return [...counts.values()].sort(
      (a, b) => compareText(a.entrypoint, b.entrypoint) || compareText(a.status, b.status) || b.priority - a.priority,
    );
  }

  async payloadVersions(query: PayloadVersionQuery): Promise<{ counts: PayloadVersionCount[]; capped: string[] }> {
    return countPayloadVersions(this.jobs.values(), query);
  }

  async payloadSamples(query: PayloadSampleQuery): Promise<PayloadSample[]> {
    return samplePayloads(this.jobs.values(), query);
  }

  async listLiveJobs(entrypoint: string, limit: number): Promise<LiveJob[]> {
    return [...this.jobs.values()]
      .filter((j) => j.entrypoint === entrypoint)
      .sort((a, b) => a.id - b.id)
      .slice(0, limit)
      .map(liveJobView);
  }

  async getJob(id: number): Promise<JobInfo | null> {
    const summary = this.summaryOf(id);
    if (!summary) return null;
    return { ...summary, history: this.history.attemptsOf(id), children: [...(this.children.get(id) ?? [])] };
  }

  async listJobs(query: JobQuery): Promise<JobPage> {
    const ids = new Set<number>([...this.jobs.keys(), ...this.history.endedIds()]);
    const matching = [...ids]
      .filter((id) => query.before === null || id < query.before)
      .sort((a, b) => b - a)
      .map((id) => this.summaryOf(id)!)
      .filter((j) => (query.entrypoint === null || j.entrypoint === query.entrypoint) && (query.status === null || j.status === query.status));
    const jobs = matching.slice(0, query.limit);
    return { jobs, next: matching.length > query.limit ? jobs.at(-1)!.id : null };
  }

  async requeue(target: RequeueTarget): Promise<number[]> {
    const now = this.now();
    const woken = new Set<string>();
    const requeueHeld = (job: JobRecord): number => {
      job.status = 'queued';
      job.attempts = 0;
      job.rescues = 0;
      job.snoozes = 0;
      job.error = null;
      job.executeAfter = now;
      job.cancelRequested = false;
      woken.add(job.entrypoint);
      return job.id;
    };
    let ids: number[];
    if (!Array.isArray(target)) {
      const { entrypoint } = target as { entrypoint?: string };
      ids = [...this.jobs.values()]
        .filter((j) => j.status === 'held' && (entrypoint === undefined || j.entrypoint === entrypoint))
        .sort((a, b) => a.id - b.id)
        .map(requeueHeld);
    } else {
      ids = [];
      const again = new Map<number, number>();
      for (const id of target as readonly number[]) {
        const job = this.jobs.get(id);
        if (job) {
          if (job.status === 'held') ids.push(requeueHeld(job));
          else if (again.has(id)) ids.push(again.get(id)!);
          continue;
        }
        if (again.has(id)) {
          ids.push(again.get(id)!);
          continue;
        }
        const last = this.lastFinal(id);
        if (!last || last.status === 'successful') continue;
        const copy = newJobRecord(this.nextJobId++, last.entrypoint, last.priority, last.payload ?? 'null', last.headers ?? '{}', now, now);
        copy.requeuedFrom = id;
        this.insert(copy);
        woken.add(copy.entrypoint);
        again.set(id, copy.id);
        ids.push(copy.id);
      }
    }
    for (const entrypoint of woken) this.emitWork((l) => l.enqueued(entrypoint, 0));
    return ids;
  }

  async deleteJobs(ids: readonly number[]): Promise<number[]> {
    const removed: number[] = [];
    for (const id of new Set(ids)) {
      const job = this.jobs.get(id);
      if (!job || job.status === 'picked') continue;
      this.remove(job);
      removed.push(id);
    }
    if (removed.length > 0) this.emitDone(removed);
    return removed.sort((a, b) => a - b);
  }

  async clear(entrypoint: string | null): Promise<number> {
    let n = 0;
    for (const job of [...this.jobs.values()]) {
      if ((job.status === 'queued' || job.status === 'scheduled') && (entrypoint === null || job.entrypoint === entrypoint)) {
        this.remove(job);
        n++;
      }
    }
    return n;
  }

  async pause(entrypoint: string): Promise<void> {
    this.paused.add(entrypoint);
    this.emitWork((l) => l.paused(entrypoint));
  }

  async resume(entrypoint: string): Promise<void> {
    this.paused.delete(entrypoint);
    this.emitWork((l) => l.resumed(entrypoint));
  }

  async pausedEntrypoints(): Promise<string[]> {
    return [...this.paused].sort(compareText);
  }

  async pendingCount(entrypoints: readonly string[]): Promise<number> {
    const names = new Set(entrypoints);
    const now = this.now();
    return this.count(
      (j) =>
        names.has(j.entrypoint) &&
        (j.status === 'picked' ||
          ((j.status === 'queued' || (j.status === 'scheduled' && j.executeAfter <= now)) && !this.paused.has(j.entrypoint))),
    );
  }

  async nextDueInMs(entrypoints: readonly string[]): Promise<number | null> {
    const names = new Set(entrypoints);
    let earliest = Infinity;
    for (const job of this.jobs.values()) {
      if (job.status === 'scheduled' && names.has(job.entrypoint)) earliest = Math.min(earliest, job.executeAfter);
    }
    return earliest === Infinity ? null : Math.max(0, earliest - this.now());
  }

  async parentResults(ids: readonly number[]): Promise<ParentResult[]> {
    return ids.flatMap((id) => {
      const entry = this.lastFinal(id);
      return entry ? [{ id, status: entry.status as FinalStatus, result: entry.status === 'successful' ? (entry.result ?? undefined) : undefined }] : [];
    });
  }

  async outcomes(ids: readonly number[]): Promise<{ finished: JobOutcome[]; live: number[] }> {
    const finished: JobOutcome[] = [];
    const live: number[] = [];
    for (const id of new Set(ids)) {
      const job = this.jobs.get(id);
      if (job?.status === 'held') {
        finished.push(job.error === null ? { id, status: 'held' } : { id, status: 'held', error: job.error });
        continue;
      }
      if (job) {
        live.push(id);
        continue;
      }
      const entry = this.lastFinal(id);
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

  async probeNotifications(token: string): Promise<void> {
    this.emitWork((l) => l.probed?.(token));
  }

  async probeCompletions(token: string): Promise<void> {
    for (const listener of this.doneListeners) setImmediate(() => listener.probed?.(token));
  }

  async prune(policy: RetentionPolicy): Promise<PruneResult> {
    const now = this.now();
    // A parent's entries stay while a child still waits to run (they hold its outcome and result).
    const waitedFor = (jobId: number) => this.children.get(jobId)?.some((child) => this.jobs.has(child)) ?? false;
    const { deleted, remembered } = this.history.prune(policy, now, waitedFor);
    // Links of children whose history is gone (finished, and every log entry pruned), as the SQL's.
    for (const [parent, children] of this.children) {
      const left = children.filter((child) => this.jobs.has(child) || remembered.has(child));
      if (left.length === 0) this.children.delete(parent);
      else if (left.length < children.length) this.children.set(parent, left);
    }
    this.keys.dropExpired(now);
    return { held: true, deleted, more: false };
  }

  async databaseNow(): Promise<Date> {
    return this.clock.now();
  }

  async registerSchedules(schedules: readonly ScheduleRegistration[]): Promise<void> {
    this.schedules.register(schedules, this.clock.now());
  }

  async readSchedules(names: readonly string[] | null): Promise<{ rows: ScheduleRow[]; dbNow: Date }> {
    return { rows: this.schedules.read(names), dbNow: this.clock.now() };
  }

  async fireTick(tick: FireTick): Promise<{ advanced: boolean; jobId: number | null }> {
    if (!this.schedules.advance(tick, this.now())) return { advanced: false, jobId: null };
    if (tick.scheduledAt === null) return { advanced: true, jobId: null };
    const [jobId] = await this.enqueue([
      {
        entrypoint: tick.name,
        priority: tick.priority,
        payload: JSON.stringify(tickPayload(tick.scheduledAt)),
        headers: null,
        executeAt: null,
        delayMs: null,
        dedupeKey: null,
        onConflict: 'error',
        dedupeWindowMs: null,
        after: null,
        runOnParentFailure: false,
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

  private insert(job: JobRecord, lines?: Map<string, GroupLines>): void {
    if (job.group !== '') {
      let line = lines?.get(job.entrypoint);
      if (!line) {
        line = this.groupLines(job.entrypoint);
        lines?.set(job.entrypoint, line);
      }
      job.turn = line.turnOf(job, job.status === 'queued');
    }
    this.jobs.set(job.id, job);
    this.keys.hold(job);
  }

  /** The entrypoint's queued grouped jobs in their lines (but `except`), to give turns from. */
  private groupLines(entrypoint: string, except?: number): GroupLines {
    const queued = [...this.jobs.values()].filter((j) => j.entrypoint === entrypoint && j.status === 'queued' && j.turn !== null && j.id !== except);
    return new GroupLines(queued, this.claimedTurns.get(entrypoint) ?? 0);
  }

  /** Who holds a dedupe key, with the live job that does. */
  private holderOf(entrypoint: string, key: string, now: number): (KeyHolder & { job?: JobRecord }) | undefined {
    const holder = this.keys.holderOf(entrypoint, key, now);
    return holder?.kind === 'live' ? { ...holder, job: this.jobs.get(holder.jobId)! } : holder;
  }

  /** A job leaves the queue for good: logged, its key freed or kept for its window. */
  private finish(job: JobRecord, status: FinalStatus, error: JobError | null, result: unknown, now: number, run: AttemptRun): void {
    this.jobs.delete(job.id);
    this.keys.ended(job, now);
    this.appendLog(job, status, error, result, now, run);
    this.settleChildren(job.id, now);
  }

  /** A job leaves the queue without ending (deleted, cleared). */
  private remove(job: JobRecord): void {
    this.jobs.delete(job.id);
    this.keys.free(job);
    this.settleChildren(job.id, this.now());
  }

  /**
   * A parent left the queue: as PostgreSQL's release trigger does, a successful one releases
   * each blocked child once; a failed or deleted one cancels them (and so theirs), except
   * children that run on parent failure, which are released.
   */
  private settleChildren(parentId: number, now: number): void {
    const children = this.children.get(parentId);
    if (!children) return;
    const outcome = this.lastFinal(parentId)?.status;
    const woken = new Map<string, number>();
    const canceled: number[] = [];
    for (const child of children.map((id) => this.jobs.get(id))) {
      if (child?.status !== 'blocked') continue;
      if (outcome === 'successful' || child.runOnParentFailure) {
        if (--child.blockedBy > 0) continue;
        child.executeAfter = Math.max(child.executeAfter, now);
        child.status = child.executeAfter > now ? 'scheduled' : 'queued';
        woken.set(child.entrypoint, Math.min(woken.get(child.entrypoint) ?? Infinity, child.executeAfter));
      } else {
        this.finish(child, 'canceled', parentFailure(parentId, outcome), null, now, { workerId: null, durationMs: null, pickedAt: null });
        canceled.push(child.id);
      }
    }
    for (const [entrypoint, at] of woken) this.emitWork((l) => l.enqueued(entrypoint, Math.max(0, at - now)));
    if (canceled.length > 0) this.emitDone(canceled);
  }

  /** Logs an attempt; a job still live (held) keeps its payload on the job, not in the log. */
  private appendLog(job: JobRecord, status: AttemptStatus, error: JobError | null, result: unknown, now: number, run: AttemptRun): void {
    this.history.append(job, status, error, result, now, run, this.jobs.has(job.id));
  }

  /** The newest final log entry of a job no longer live. */
  private lastFinal(jobId: number): LogRecord | undefined {
    return this.jobs.has(jobId) ? undefined : this.history.lastFinal(jobId);
  }

  /** A job as listed: the live record, else its newest final log entry. */
  private summaryOf(id: number): JobSummary | undefined {
    const job = this.jobs.get(id);
    if (job) return liveSummary(job);
    const last = this.lastFinal(id);
    return last && endedSummary(last);
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

/** Why a child was canceled: the words PostgreSQL's release trigger writes. */
function parentFailure(parentId: number, outcome: AttemptStatus | undefined): JobError {
  const how = outcome === undefined ? 'was deleted' : `ended ${outcome}`;
  return { name: 'ParentFailedError', message: `parent job ${parentId} ${how}`, details: { parent: parentId } };
}

function byPriorityThenId(a: JobRecord, b: JobRecord): number {
  return b.priority - a.priority || a.id - b.id;
}
