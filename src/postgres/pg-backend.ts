import { PrivilegeError } from '../errors.js';
import { OutcomeRefusedError } from '../port/outcome-refused.js';
import type { QueueBackend } from '../port/queue-backend.js';
import { GROUP_HEADER, type CompletionEvents, type EnqueueRow, type HandOffAddress, type Subscription, type WorkEvents } from '../port/rows.js';
import type { TransactionClient } from '../types.js';
import { isDataError } from './data-error.js';
import type { Driver, Queryable } from './driver.js';
import { enqueueWaves } from './enqueue-waves.js';
import type { SchemaNames } from './schema-names.js';
import { cancelQuery } from './statements/cancel.js';
import { claimQuery } from './statements/claim.js';
import { completeQuery } from './statements/complete.js';
import { enqueueAfterQuery, parentResultsQuery } from './statements/dependencies.js';
import { enqueueQuery } from './statements/enqueue.js';
import { handedOffJob, handOffQueries } from './statements/hand-off.js';
import { heartbeatQuery, rescueQuery } from './statements/heartbeat.js';
import { clearQuery, deleteJobsQuery } from './statements/delete.js';
import { listLiveJobsQuery, nextDueQuery, pendingCountQuery, queueSizeQuery } from './statements/inspect.js';
import { getJobQuery, listJobsQuery } from './statements/job-info.js';
import { payloadSamplesQuery, payloadVersionsQuery } from './statements/payload-versions.js';
import { pauseQueries } from './statements/pause.js';
import { requeueQuery } from './statements/requeue.js';
import { notifyProbeQuery } from './statements/notify.js';
import { outcomesQuery } from './statements/outcomes.js';
import { releaseQuery } from './statements/release.js';
import { pruneQuery } from './statements/retention.js';
import { databaseNowQuery, fireTickQuery, readSchedulesQuery, registerSchedulesQuery } from './statements/schedules.js';
import { registerWorkerQuery, unregisterWorkerQuery } from './statements/workers.js';

/** How long single enqueues skip hand-off for an entrypoint no worker was waiting for. */
const HAND_OFF_RECHECK_MS = 50;

/** The group header's key as JSON text writes it. */
const GROUP_KEY_TEXT = JSON.stringify(GROUP_HEADER);

/**
 * A job hand-off may give to an idle worker: due now, no dedupe key, no parents, no group
 * (statements/hand-off.ts). Headers are JSON.stringify's text (encode.ts), where a group's key
 * appears as written; the key anywhere else in them only sends the job the usual way.
 */
function runnableAlone(row: EnqueueRow): boolean {
  return row.executeAt === null && !row.delayMs && row.dedupeKey === null && row.after === null && !row.headers?.includes(GROUP_KEY_TEXT);
}

/** The PostgreSQL adapter of the storage port: the statements of `statements/` bound to one schema and one driver. */
export class PgBackend implements QueueBackend {
  private readonly q;
  /** Single enqueues may hand their job to an idle worker (statements/hand-off.ts). */
  private handsOff = true;
  /**
   * Per entrypoint, until when single enqueues skip hand-off because the last one found no
   * worker waiting: the plain insert is cheaper, and idle workers are noticed within that time.
   */
  private readonly noneWaitingUntil = new Map<string, number>();

  constructor(
    readonly driver: Driver,
    readonly names: SchemaNames,
  ) {
    this.q = {
      enqueue: enqueueQuery(names),
      handOff: handOffQueries(names),
      enqueueAfter: enqueueAfterQuery(names),
      parentResults: parentResultsQuery(names),
      claim: claimQuery(names),
      complete: completeQuery(names),
      heartbeat: heartbeatQuery(names),
      rescue: rescueQuery(names),
      release: releaseQuery(names),
      cancel: cancelQuery(names),
      queueSize: queueSizeQuery(names),
      nextDue: nextDueQuery(names),
      listLiveJobs: listLiveJobsQuery(names),
      getJob: getJobQuery(names),
      listJobs: listJobsQuery(names),
      payloadVersions: payloadVersionsQuery(names),
      payloadSamples: payloadSamplesQuery(names),
      requeue: requeueQuery(names),
      deleteJobs: deleteJobsQuery(names),
      clear: clearQuery(names),
      pause: pauseQueries(names),
      pendingCount: pendingCountQuery(names),
      outcomes: outcomesQuery(names),
      prune: pruneQuery(names),
      databaseNow: databaseNowQuery(names),
      registerSchedules: registerSchedulesQuery(names),
      readSchedules: readSchedulesQuery(names),
      fireTick: fireTickQuery(names),
      register: registerWorkerQuery(names),
      unregister: unregisterWorkerQuery(names),
      probe: notifyProbeQuery(names),
    };
  }

  enqueue: QueueBackend['enqueue'] = async (rows, client?: TransactionClient) => {
    const db = client ? this.driver.onClient(client) : this.driver;
    const only = rows.length === 1 ? rows[0]! : undefined;
    if (this.handsOff && !client && only && runnableAlone(only) && this.mayHandOff(only.entrypoint)) {
      try {
        const handed = await this.q.handOff.enqueue(this.driver, only);
        if (handed) {
          if (handed.waiting) this.noneWaitingUntil.delete(only.entrypoint);
          else this.noneWaitingUntil.set(only.entrypoint, Date.now() + HAND_OFF_RECHECK_MS);
          return [handed.id];
        }
      } catch (err) {
        // Grants from before hand-off (`pgq grant` not run again since the upgrade): enqueue
        // the usual way from now on. The statement failed whole, so nothing was written.
        if (!(err instanceof PrivilegeError)) throw err;
        this.handsOff = false;
      }
    }
    const waves = enqueueWaves(rows);
    if (waves.length === 1 && !waves[0]!.dependent) return this.q.enqueue(db, rows);
    const write = async (tx: Queryable): Promise<number[]> => {
      const ids: number[] = [];
      for (const wave of waves) {
        if (!wave.dependent) {
          ids.push(...(await this.q.enqueue(tx, wave.rows)));
          continue;
        }
        const parentsOf = (i: number) => wave.rows[i]!.after!.map((link) => ('id' in link ? link.id : ids[link.item]!));
        ids.push(...(await this.q.enqueueAfter(tx, wave.rows, parentsOf)));
      }
      return ids;
    };
    // Several statements: all or none, in the caller's transaction or one of their own.
    return client || waves.length === 1 ? write(db) : this.driver.transaction(write);
  };

  private mayHandOff(entrypoint: string): boolean {
    return (this.noneWaitingUntil.get(entrypoint) ?? 0) <= Date.now();
  }

  claim: QueueBackend['claim'] = (req) => this.q.claim(this.driver, req);
  complete: QueueBackend['complete'] = async (workerId, completions) => {
    try {
      return await this.q.complete(this.driver, workerId, completions);
    } catch (err) {
      if (isDataError(err)) throw new OutcomeRefusedError((err as Error).message, { cause: err });
      throw err;
    }
  };
  heartbeat: QueueBackend['heartbeat'] = (workerId, ids) => this.q.heartbeat(this.driver, workerId, ids);
  rescue: QueueBackend['rescue'] = (policies) => this.q.rescue(this.driver, policies);
  release: QueueBackend['release'] = (workerId, jobs) => this.q.release(this.driver, workerId, jobs);
  cancel: QueueBackend['cancel'] = (ids) => this.q.cancel(this.driver, ids);
  queueSize: QueueBackend['queueSize'] = () => this.q.queueSize(this.driver);
  listLiveJobs: QueueBackend['listLiveJobs'] = (entrypoint, limit) => this.q.listLiveJobs(this.driver, entrypoint, limit);
  getJob: QueueBackend['getJob'] = (id) => this.q.getJob(this.driver, id);
  listJobs: QueueBackend['listJobs'] = (query) => this.q.listJobs(this.driver, query);
  payloadVersions: QueueBackend['payloadVersions'] = (query) => this.q.payloadVersions(this.driver, query);
  payloadSamples: QueueBackend['payloadSamples'] = (query) => this.q.payloadSamples(this.driver, query);
  requeue: QueueBackend['requeue'] = (target) =>
    this.q.requeue(this.driver, Array.isArray(target) ? target : { entrypoint: (target as { entrypoint?: string }).entrypoint ?? null });
  deleteJobs: QueueBackend['deleteJobs'] = (ids) => this.q.deleteJobs(this.driver, ids);
  clear: QueueBackend['clear'] = (entrypoint) => this.q.clear(this.driver, entrypoint);
  pause: QueueBackend['pause'] = (entrypoint) => this.q.pause.pause(this.driver, entrypoint);
  resume: QueueBackend['resume'] = (entrypoint) => this.q.pause.resume(this.driver, entrypoint);
  pausedEntrypoints: QueueBackend['pausedEntrypoints'] = () => this.q.pause.list(this.driver);
  pendingCount: QueueBackend['pendingCount'] = (entrypoints) => this.q.pendingCount(this.driver, entrypoints);
  nextDueInMs: QueueBackend['nextDueInMs'] = (entrypoints) => this.q.nextDue(this.driver, entrypoints);
  parentResults: QueueBackend['parentResults'] = (ids) => this.q.parentResults(this.driver, ids);
  outcomes: QueueBackend['outcomes'] = (ids) => this.q.outcomes(this.driver, ids);
  prune: QueueBackend['prune'] = (policy) => this.q.prune(this.driver, policy);
  databaseNow: QueueBackend['databaseNow'] = () => this.q.databaseNow(this.driver);
  registerSchedules: QueueBackend['registerSchedules'] = (s) => this.q.registerSchedules(this.driver, s);
  readSchedules: QueueBackend['readSchedules'] = (names) => this.q.readSchedules(this.driver, names);
  fireTick: QueueBackend['fireTick'] = (tick) => this.q.fireTick(this.driver, tick);
  registerWorker: QueueBackend['registerWorker'] = (worker) => this.q.register(this.driver, worker);
  unregisterWorker: QueueBackend['unregisterWorker'] = (workerId) => this.q.unregister(this.driver, workerId);
  handOff: NonNullable<QueueBackend['handOff']> = {
    park: (offer) => this.q.handOff.park(this.driver, offer),
    unpark: (workerId) => this.q.handOff.unpark(this.driver, workerId),
    reclaimLost: (workerId, held) => this.q.handOff.reclaimLost(this.driver, workerId, held),
  };
  probeNotifications: QueueBackend['probeNotifications'] = (token) => this.q.probe.work(this.driver, token);
  probeCompletions: QueueBackend['probeCompletions'] = (token) => this.q.probe.completions(this.driver, token);

  async subscribe(events: WorkEvents, handOff?: HandOffAddress): Promise<Subscription> {
    // The worker's own channel first: a session's last statement is what pg_stat_activity shows.
    const channels = handOff ? [handOff.channel, this.names.channel] : [this.names.channel];
    return this.driver.listen(channels, {
      onNotification: ({ channel, payload }) => {
        if (channel !== this.names.channel) {
          const handed = handedOffJob(payload);
          if (handed) events.assigned?.(handed.job, handed.payloadBytes, handed.key);
          return;
        }
        let message: { t?: string; e?: string; d?: number; ids?: Array<number | string>; w?: string };
        try {
          message = JSON.parse(payload);
        } catch {
          return; // not ours (someone else NOTIFYing on the channel)
        }
        if (message.t === 'enqueued' && typeof message.e === 'string') events.enqueued(message.e, Number(message.d ?? 0));
        else if (message.t === 'cancel' && Array.isArray(message.ids)) events.cancelRequested(message.ids.map(Number));
        else if (message.t === 'paused' && typeof message.e === 'string') events.paused(message.e);
        else if (message.t === 'resumed' && typeof message.e === 'string') events.resumed(message.e);
        else if (message.t === 'probe' && typeof message.w === 'string') events.probed?.(message.w);
      },
      onReconnect: () => events.reconnected(),
      onError: (err) => events.error?.(err),
    });
  }

  async subscribeCompletions(events: CompletionEvents): Promise<Subscription> {
    return this.driver.listen([this.names.doneChannel], {
      onNotification: ({ payload }) => {
        try {
          const message = JSON.parse(payload) as { t?: string; ids?: Array<number | string>; w?: string };
          if (message.t === 'done' && Array.isArray(message.ids)) events.done(message.ids.map(Number));
          else if (message.t === 'probe' && typeof message.w === 'string') events.probed?.(message.w);
        } catch {
          // not ours
        }
      },
      onReconnect: () => events.reconnected(),
      onError: (err) => events.error?.(err),
    });
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}
