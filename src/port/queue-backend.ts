import type { ParentResult, QueueSizeRow, RequeueTarget, TransactionClient } from '../types.js';
import type {
  CanceledJob,
  ClaimRequest,
  ClaimResult,
  Completion,
  CompletionEvents,
  EnqueueRow,
  FireTick,
  HeldJob,
  JobInfo,
  JobOutcome,
  JobPage,
  JobQuery,
  LiveJob,
  PayloadSample,
  PayloadSampleQuery,
  PayloadVersionCount,
  PayloadVersionQuery,
  PruneResult,
  HandOffAddress,
  HandOffOffer,
  ReleasedJob,
  ReclaimedJobs,
  RescuePolicy,
  RetentionPolicy,
  ScheduleRegistration,
  ScheduleRow,
  Subscription,
  WorkerInfo,
  WorkEvents,
} from './rows.js';

/**
 * The storage port: everything the worker, its services and the facade need from where jobs
 * live. `src/postgres/` implements it with SQL, `src/memory/` in process; the contract suite
 * (test/contract/) holds both to the same rules. Payloads cross it as JSON text, so both see
 * exactly what PostgreSQL would store. Errors that cross it are pgqueuer's own
 * (`DuplicateJobError`, `OutcomeRefusedError`, `ConnectionError`, `ReadOnlyError`,
 * `StatementTimeoutError`, `PrivilegeError`, `SchemaNotInstalledError`), never a driver's
 * codes; `isLastingFailure` tells the ones a retry cannot heal.
 */
export interface QueueBackend {
  /**
   * Inserts all rows or none; ids in input order. A held dedupe key throws `DuplicateJobError`;
   * a parent that does not exist (or was pruned) throws `JobNotFoundError`.
   */
  enqueue(rows: readonly EnqueueRow[], client?: TransactionClient): Promise<number[]>;
  /** Promotes due deferred jobs, applies the limits, and claims runnable jobs for one worker. */
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /**
   * Records finished attempts, fenced by (worker, attempt). Returns the ids whose outcome was
   * recorded: the others had been taken over by another worker. Throws `OutcomeRefusedError`
   * when the backend refuses what the batch carries (sending it again would fail again).
   */
  complete(workerId: string, completions: readonly Completion[]): Promise<Set<number>>;
  /** Refreshes the heartbeat of jobs this worker holds; reports which it still holds and which were canceled. */
  heartbeat(workerId: string, ids: readonly number[]): Promise<HeldJob[]>;
  /** Returns running jobs whose heartbeat is older than their entrypoint's rescue interval to the queue, logged `rescued`. */
  rescue(policies: readonly RescuePolicy[]): Promise<Map<string, number>>;
  /** Gives a worker's jobs back to the queue: an unstarted one keeps its attempt, a started one is logged `rescued`. */
  release(workerId: string, jobs: readonly ReleasedJob[]): Promise<void>;
  /**
   * Hand-off, where the backend has it: an idle worker waits with free slots, and the enqueue
   * of one runnable job gives it that worker directly, picked, announced by `WorkEvents.assigned`.
   * Without it (the in-memory backend, whose claims cost no round trip) workers claim everything.
   */
  handOff?: {
    /** The worker takes up to `slots` jobs of `entrypoints` (ones without limits) for `ttlMs`; replaces what it said before. */
    park(offer: HandOffOffer): Promise<void>;
    /** It takes none; resolves once no enqueue can hand it one any more. */
    unpark(workerId: string): Promise<void>;
    /**
     * Returns to the queue, attempt unused, the jobs handed to it that it does not hold (their
     * notifications were lost with its listener, or came while it would not take them); never a
     * job it claimed. Only once it is offered nothing any more: until then, does nothing and says
     * `offered`.
     */
    reclaimLost(workerId: string, held: readonly number[]): Promise<ReclaimedJobs>;
  };
  /** Cancels jobs: queued ones are removed (logged `canceled`), running ones are flagged and their workers told. */
  cancel(ids: readonly number[]): Promise<CanceledJob[]>;
  queueSize(): Promise<QueueSizeRow[]>;
  /** Live jobs of an entrypoint, oldest first (for tests and tools). */
  listLiveJobs(entrypoint: string, limit: number): Promise<LiveJob[]>;
  /**
   * Waiting jobs (every live status but running) of these entrypoints, counted by entrypoint,
   * stamped payload fingerprint and status; at most `countCap` jobs are read per entrypoint
   * (`capped` says when more were left uncounted).
   */
  payloadVersions(query: PayloadVersionQuery): Promise<{ counts: PayloadVersionCount[]; capped: string[] }>;
  /** Payloads of waiting jobs of these (entrypoint, fingerprint) pairs, up to `sample` of each, oldest first. */
  payloadSamples(query: PayloadSampleQuery): Promise<PayloadSample[]>;
  /** One job, live or finished, with every attempt; null when unknown (or pruned). */
  getJob(id: number): Promise<JobInfo | null>;
  /** A page of jobs, newest first, live and finished; the history is left out. */
  listJobs(query: JobQuery): Promise<JobPage>;
  /**
   * Makes jobs run again, returning the ids now queued in input order: a held job goes back to
   * `queued` with its id (attempts reset, history kept); a finished `exception` or `canceled`
   * job is enqueued again as a new job that records where it came from. Others are skipped.
   */
  requeue(target: RequeueTarget): Promise<number[]>;
  /** Removes queued, scheduled, held or blocked jobs (not running ones), without a log entry; returns those removed. */
  deleteJobs(ids: readonly number[]): Promise<number[]>;
  /** Deletes the queued and scheduled jobs of one entrypoint (null: all); returns how many. */
  clear(entrypoint: string | null): Promise<number>;
  /** Claims leave a paused entrypoint's jobs alone until it is resumed; every worker is told. */
  pause(entrypoint: string): Promise<void>;
  resume(entrypoint: string): Promise<void>;
  pausedEntrypoints(): Promise<string[]>;
  /** Jobs of these entrypoints that are running, runnable now, or due: zero means idle. */
  pendingCount(entrypoints: readonly string[]): Promise<number>;
  /** Milliseconds until the earliest deferred job of these entrypoints is due, or null if none. */
  nextDueInMs(entrypoints: readonly string[]): Promise<number | null>;
  /** How these finished parents ended, and their results (see JobContext.parents), in input order. */
  parentResults(ids: readonly number[]): Promise<ParentResult[]>;
  /** Final outcomes of these jobs, and which of them are still live. */
  outcomes(ids: readonly number[]): Promise<{ finished: JobOutcome[]; live: number[] }>;
  /** Deletes one batch of log entries past `policy`, unless another worker is pruning. */
  prune(policy: RetentionPolicy): Promise<PruneResult>;
  /** The backend's clock, which every schedule decision is made against. */
  databaseNow(): Promise<Date>;
  registerSchedules(schedules: readonly ScheduleRegistration[]): Promise<void>;
  /** Schedules by name (all when `names` is null), with the backend's time of the read. */
  readSchedules(names: readonly string[] | null): Promise<{ rows: ScheduleRow[]; dbNow: Date }>;
  /** Compare-and-set of one schedule's next run, enqueueing the tick's job in the same step. */
  fireTick(tick: FireTick): Promise<{ advanced: boolean; jobId: number | null }>;
  registerWorker(worker: WorkerInfo): Promise<void>;
  unregisterWorker(workerId: string): Promise<void>;
  /** Delivers work notifications to a worker; the subscription heals itself after failures. */
  /** Work notifications; and, with `handOff` (where the backend has hand-off), that worker's hand-offs. */
  subscribe(events: WorkEvents, handOff?: HandOffAddress): Promise<Subscription>;
  /**
   * Sends `token` the way work notifications travel; every work subscriber hears it as
   * `probed(token)`. A worker probes itself to learn whether its notifications arrive.
   */
  probeNotifications(token: string): Promise<void>;
  /** Delivers the ids of jobs that just finished; heals itself after failures. */
  subscribeCompletions(events: CompletionEvents): Promise<Subscription>;
  /** `probeNotifications` for completion subscribers: they hear it as `probed(token)`. */
  probeCompletions(token: string): Promise<void>;
  close(): Promise<void>;
}
