import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { ClaimedJob, EnqueueRow, HandOffOffer, ReclaimedJobs } from '../../port/rows.js';
import { notifyEnqueued } from './notify.js';

/**
 * NOTIFY payloads are capped at 8,000 bytes; a handed-off job travels in one with its payload,
 * headers and entrypoint (as JSON), so jobs sent larger are enqueued the usual way.
 */
const MAX_HANDED_OFF_BYTES = 7_000;
/**
 * What NOTIFY raises for a longer payload. jsonb's own text of a payload can be longer than
 * what was sent (a space after every comma, 1e300 written out), and an entrypoint name's
 * control characters are escaped: such a job's statement fails whole, and it is enqueued the
 * usual way. Rare enough that checking every enqueue's jsonb text first would cost more.
 */
const NOTIFY_PAYLOAD_TOO_LONG = '22023';

/** Set for its own transaction by an enqueue that handed its job off: the enqueue trigger skips it. */
export const HANDED_OFF_SETTING = 'pgqueuer.handed_off';

/** A job handed to a worker, as its notification carries it; `key` proves an enqueue sent it. */
export interface HandedOffJob {
  job: ClaimedJob;
  payloadBytes: number;
  key: string;
}

/**
 * Hand-off: the enqueue of one runnable job gives it straight to an idle worker, so it starts
 * without a claim's round trip (two round trips to idle backends are most of an idle queue's
 * enqueue-to-start latency). A worker with nothing to claim waits in idle_workers with the
 * slots it has free; the enqueue takes one slot of the worker with the most, inserts the job
 * picked by it, and notifies it with the whole job.
 *
 * It happens only where a claim would have taken the job at once, in the same order: the job
 * is runnable now and has no group (only such jobs are sent here: see `enqueue` below), its
 * entrypoint has no limit (the worker lists only those), is not paused, and no job is queued
 * ahead of it for any entrypoint that worker lists. A worker's row that another enqueue holds is skipped, not waited for; so is a
 * worker whose heartbeat lapsed (`expires_at`). Only pgqueuer's own single-statement enqueue
 * hands off: inside a caller's transaction the row would stay locked until that transaction
 * ends.
 *
 * A hand-off is a claim: attempt 1, heartbeat now. A worker that crashes holding one leaves it
 * for the rescuer like any claimed job; one whose notification was lost with its listener
 * gives it back once the listener is back (`reclaimLost`).
 */
export function handOffQueries(n: SchemaNames) {
  // Parameters are text throughout ($3, $4 cast to jsonb where stored), so the size check reads
  // what was sent. The checks that cost more (probing other tables) refer to the waiting
  // worker's row (v.slots > 0), so they run per candidate, only when a worker waits, rather than
  // as one-time filters before every enqueue.
  const enqueue = prepared(
    'hand_off_enqueue',
    `WITH taken AS (
       UPDATE ${n.idleWorkers} AS w SET slots = w.slots - 1
       WHERE w.worker_id = (
         SELECT v.worker_id FROM ${n.idleWorkers} AS v
         WHERE v.slots > 0 AND v.expires_at > now() AND $1::text = ANY (v.entrypoints)
           AND octet_length($3::text) + coalesce(octet_length($4::text), 0) <= ${MAX_HANDED_OFF_BYTES}
           AND NOT EXISTS (SELECT 1 FROM ${n.paused} AS p WHERE p.entrypoint = $1::text AND v.slots > 0)
           -- Queued jobs of any entrypoint it takes are ahead: its next claim would start those first.
           AND NOT EXISTS (SELECT 1 FROM ${n.jobs} AS q WHERE q.entrypoint = ANY (v.entrypoints) AND q.status = 'queued' AND v.slots > 0)
         ORDER BY v.slots DESC
         LIMIT 1
         FOR UPDATE SKIP LOCKED
       )
       RETURNING w.worker_id, w.channel, w.secret, set_config('${HANDED_OFF_SETTING}', 'on', true)
     ), inserted AS (
       INSERT INTO ${n.jobs} (entrypoint, priority, payload, headers, status, worker_id, attempts, heartbeat, picked_at)
       SELECT $1::text, $2::integer, ($3::text)::jsonb, coalesce(($4::text)::jsonb, '{}'::jsonb),
              CASE WHEN t.worker_id IS NULL THEN 'queued' ELSE 'picked' END, t.worker_id,
              CASE WHEN t.worker_id IS NULL THEN 0 ELSE 1 END,
              CASE WHEN t.worker_id IS NOT NULL THEN now() END, CASE WHEN t.worker_id IS NOT NULL THEN now() END
       FROM (SELECT) AS one LEFT JOIN taken AS t ON true
       RETURNING id
     )
     -- The job as a claim returns it (claim.ts); built from the parameters, not the row, which
     -- a producer role may not read.
     SELECT j.id, CASE WHEN t.worker_id IS NOT NULL THEN pg_notify(t.channel, json_build_object(
              -- port/hand-off-key.ts
              't', 'assigned', 'k', encode(sha256(convert_to(t.secret || ':' || j.id, 'UTF8')), 'hex'),
              'b', octet_length($3::text), 'j', json_build_object(
                'id', j.id, 'entrypoint', $1::text, 'priority', $2::integer, 'payload', ($3::text)::jsonb,
                'headers', coalesce(($4::text)::jsonb, '{}'::jsonb), 'attempt', 1, 'rescues', 0, 'snoozes', 0,
                'createdAtMs', date_part('epoch', now()) * 1000, 'cancelRequested', false, 'queuedMs', 0))::text) END AS notified,
            -- Whether a worker waits for this entrypoint at all (read before the slot was taken).
            t.worker_id IS NOT NULL OR EXISTS (
              SELECT 1 FROM ${n.idleWorkers} AS v WHERE v.slots > 0 AND v.expires_at > now() AND $1::text = ANY (v.entrypoints)
            ) AS waiting
     FROM inserted AS j LEFT JOIN taken AS t ON true`,
  );
  const park = prepared(
    'hand_off_park',
    `INSERT INTO ${n.idleWorkers} AS w (worker_id, entrypoints, slots, expires_at, channel, secret)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4::double precision / 1000.0), $5, $6)
     ON CONFLICT (worker_id) DO UPDATE SET entrypoints = excluded.entrypoints, slots = excluded.slots, expires_at = excluded.expires_at,
                                           channel = excluded.channel, secret = excluded.secret`,
  );
  const unpark = prepared('hand_off_unpark', `DELETE FROM ${n.idleWorkers} WHERE worker_id = $1`);
  // Handed to this worker (picked by the transaction that created it, which a claim never is)
  // and unknown to it: their notifications went to a listener that died, or came while it would
  // not take them. Only once it is offered nothing (its entry deleted, or expired a second ago:
  // an enqueue that read it before it expired has committed since), so no more can be on their
  // way. Back to the queue with the attempt unused, as a job claimed ahead is released.
  const reclaim = prepared(
    'hand_off_reclaim',
    `WITH offered AS (
       SELECT EXISTS (SELECT 1 FROM ${n.idleWorkers} WHERE worker_id = $1 AND expires_at > now() - interval '1 second') AS still
     ), lost AS (
       UPDATE ${n.jobs} AS j SET status = 'queued', worker_id = NULL, heartbeat = NULL, picked_at = NULL,
                                 attempts = j.attempts - 1, updated_at = now()
       WHERE j.id = ANY (ARRAY(
         SELECT l.id FROM ${n.jobs} AS l, offered AS o
         WHERE NOT o.still AND l.worker_id = $1 AND l.status = 'picked' AND l.picked_at = l.created_at
           AND NOT (l.id = ANY ($2::bigint[]))
         FOR UPDATE OF l SKIP LOCKED
       ))
       RETURNING j.id, j.entrypoint
     ), wake AS (
       ${notifyEnqueued(n.channel, 'lost')}
     )
     SELECT (SELECT still FROM offered) AS offered, ARRAY(SELECT id FROM lost) AS ids, (SELECT count(*) FROM wake) AS notices`,
  );
  return {
    /**
     * Enqueues one job that is runnable now and has no group (the caller checks),
     * handed to an idle worker when one takes it; returns its id, and whether any worker waits
     * for hand-offs of its entrypoint. Undefined, with nothing written, when its notification
     * would be too long: the caller enqueues it the usual way.
     */
    enqueue: async (db: Queryable, r: EnqueueRow): Promise<{ id: number; waiting: boolean } | undefined> => {
      try {
        const [row] = await db.query<{ id: string; waiting: boolean }>(enqueue, [r.entrypoint, r.priority, r.payload, r.headers]);
        return { id: Number(row!.id), waiting: row!.waiting };
      } catch (err) {
        if ((err as { code?: unknown }).code === NOTIFY_PAYLOAD_TOO_LONG) return undefined;
        throw err;
      }
    },
    park: async (db: Queryable, p: HandOffOffer): Promise<void> =>
      void (await db.query(park, [p.workerId, p.entrypoints, p.slots, p.ttlMs, p.address.channel, p.address.secret])),
    unpark: async (db: Queryable, workerId: string): Promise<void> => void (await db.query(unpark, [workerId])),
    reclaimLost: async (db: Queryable, workerId: string, held: readonly number[]): Promise<ReclaimedJobs> => {
      const [row] = await db.query<{ offered: boolean; ids: string[] }>(reclaim, [workerId, held]);
      return { offered: row!.offered, ids: row!.ids.map(Number) };
    },
  };
}

/** Reads a notification of type 'assigned' (see `enqueue` above); undefined if it is not one. */
export function handedOffJob(payload: string): HandedOffJob | undefined {
  let message: { t?: string; k?: unknown; b?: unknown; j?: { id?: unknown } | null };
  try {
    message = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (message.t !== 'assigned' || typeof message.k !== 'string' || typeof message.j?.id !== 'number') return undefined;
  return { job: message.j as ClaimedJob, payloadBytes: Number(message.b ?? 0), key: message.k };
}
