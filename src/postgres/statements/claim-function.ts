import type { SchemaNames } from '../schema-names.js';
import { groupKey } from './group-key.js';
import { GROUP_HEADER } from '../../port/rows.js';

/** claim_jobs' signature: migration 3's, and the current one with the group limits. */
export const CLAIM_ARGUMENTS_V3 = 'uuid, text[], integer[], double precision[], double precision[], integer, boolean';
export const CLAIM_ARGUMENTS = `${CLAIM_ARGUMENTS_V3}, integer[]`;

/**
 * Claims up to p_capacity runnable jobs for one worker in one round trip.
 * - p_promote: move due deferred jobs into the runnable set first. A worker asks for it when
 *   deferred jobs may have come due (its poll, a due timer, startup), not when a NOTIFY
 *   announces jobs runnable now: that claim is the latency path, and stays lean.
 * - Paused entrypoints (paused_entrypoints) are left alone.
 * - p_concurrency / p_rate / p_burst / p_group_concurrency are per entrypoint (0 = no limit).
 *   Limited entrypoints are serialised with a transaction-scoped advisory lock, taken in one
 *   global order so two workers can never deadlock; under that lock the count of picked jobs,
 *   the token bucket and each group's running jobs are exact across all workers.
 * - Jobs without a group are walked in priority order, as an index walk. Grouped jobs take
 *   turns: they are walked in turn order (group-turn.ts), so each group's next job comes up
 *   once per turn, and each group gives what its limit leaves. When groups at their limit
 *   crowd the walk's window, a key-order walk visits the groups instead, one probe each,
 *   starting after the group served last (job_group_cursors) and wrapping around.
 * - It commits without waiting for the WAL flush: a claim lost in a database crash only means
 *   its jobs run again (migration 3 says what a crash can do).
 * - Returns only what a worker reads of each job, and a row with a NULL id for each
 *   rate-limited entrypoint whose tokens ran out while runnable jobs remain.
 */
export function claimJobsFunction(n: SchemaNames): string {
  // Each entrypoint's jobs without a group, by priority: one ordered walk of the claim index.
  const ungroupedWalk = `CROSS JOIN LATERAL (
        SELECT q.id, q.priority FROM ${n.jobs} AS q
        WHERE q.entrypoint = e.name AND q.status = 'queued' AND ${groupKey('q')} = '' AND q.execute_after <= now()
        ORDER BY q.priority DESC, q.id
        LIMIT e.cap
        FOR UPDATE SKIP LOCKED
      ) AS c`;
  // Grouped jobs of a group-limited entrypoint in key order, when turn order cannot serve the
  // claim: the groups with queued jobs visited by a skip scan of the claim index (one probe per
  // group), those after the group served last first, then from the first up to it, each giving
  // what its room allows. Groups at their limit cost a probe each, and there are at most as
  // many as jobs are running.
  const keyOrderWalk = `WITH RECURSIVE later(grp, first_id, first_priority, first_turn, due, turn) AS (
          (SELECT ${groupKey('g')}, g.id, g.priority, g.group_turn, g.execute_after <= now(), 1::bigint FROM ${n.jobs} AS g
           WHERE g.entrypoint = e.name AND g.status = 'queued' AND ${groupKey('g')} > e.after_group
           ORDER BY ${groupKey('g')}, g.priority DESC, g.id LIMIT 1)
          UNION ALL
          SELECT next.grp, next.id, next.priority, next.group_turn, next.due, later.turn + 1
          FROM later CROSS JOIN LATERAL (
            SELECT ${groupKey('g')} AS grp, g.id, g.priority, g.group_turn, g.execute_after <= now() AS due FROM ${n.jobs} AS g
            WHERE g.entrypoint = e.name AND g.status = 'queued' AND ${groupKey('g')} > later.grp
            ORDER BY ${groupKey('g')}, g.priority DESC, g.id LIMIT 1
          ) AS next
        ), earlier(grp, first_id, first_priority, first_turn, due, turn) AS (
          (SELECT ${groupKey('g')}, g.id, g.priority, g.group_turn, g.execute_after <= now(), 1::bigint FROM ${n.jobs} AS g
           WHERE g.entrypoint = e.name AND g.status = 'queued' AND ${groupKey('g')} > '' AND ${groupKey('g')} <= e.after_group
           ORDER BY ${groupKey('g')}, g.priority DESC, g.id LIMIT 1)
          UNION ALL
          SELECT next.grp, next.id, next.priority, next.group_turn, next.due, earlier.turn + 1
          FROM earlier CROSS JOIN LATERAL (
            SELECT ${groupKey('g')} AS grp, g.id, g.priority, g.group_turn, g.execute_after <= now() AS due FROM ${n.jobs} AS g
            WHERE g.entrypoint = e.name AND g.status = 'queued' AND ${groupKey('g')} > earlier.grp AND ${groupKey('g')} <= e.after_group
            ORDER BY ${groupKey('g')}, g.priority DESC, g.id LIMIT 1
          ) AS next
        ), turns AS (
          SELECT later.*, 0 AS lap FROM later
          UNION ALL
          SELECT earlier.*, 1 FROM earlier
        )
        SELECT t.grp, t.lap, t.turn, r.id, r.priority, r.group_turn
        FROM turns AS t
        CROSS JOIN LATERAL (
          SELECT greatest(e.per_group - coalesce((busy.running ->> t.grp)::integer, 0), 0) AS n
        ) AS room
        CROSS JOIN LATERAL (
          -- A group with room for one (always so at groupConcurrency 1) takes the job the walk
          -- found, without a second probe: under the entrypoint's lock no other claim races for
          -- it, and the UPDATE below re-checks that it is still queued.
          SELECT t.first_id AS id, t.first_priority AS priority, t.first_turn AS group_turn WHERE room.n = 1 AND t.due
          UNION ALL
          (SELECT q.id, q.priority, q.group_turn FROM ${n.jobs} AS q
           WHERE room.n > 1 AND q.entrypoint = e.name AND q.status = 'queued' AND ${groupKey('q')} = t.grp
             AND q.execute_after <= now()
           ORDER BY q.priority DESC, q.id
           LIMIT room.n)
        ) AS r
        LIMIT e.cap`;
  // Marks the chosen jobs picked. The status is checked again: a group's first job is taken
  // without a lock of its own (see below), and the UPDATE's lock makes the check exact.
  const pick = (chosen: string) => `UPDATE ${n.jobs} AS j
    SET status = 'picked', attempts = j.attempts + 1, worker_id = p_worker,
        heartbeat = now(), picked_at = now(), updated_at = now()
    WHERE j.id = ANY (ARRAY(SELECT ${chosen}.id FROM ${chosen})) AND j.status = 'queued'
    RETURNING j.id, j.entrypoint, j.priority, j.payload, j.headers, j.attempts, j.rescues, j.snoozes, j.created_at,
              j.cancel_requested, j.execute_after;`;
  return `CREATE OR REPLACE FUNCTION ${n.ident}.claim_jobs(
  p_worker uuid,
  p_entrypoints text[],
  p_concurrency integer[],
  p_rate double precision[],
  p_burst double precision[],
  p_capacity integer,
  p_promote boolean,
  p_group_concurrency integer[]
) RETURNS TABLE (
  id bigint, entrypoint text, priority integer, payload jsonb, headers jsonb, attempts integer,
  rescues integer, snoozes integer, created_at timestamptz, cancel_requested boolean, execute_after timestamptz
) LANGUAGE plpgsql
-- Its statements are planned once per connection, not at every call: a claim is the latency
-- path, and a fresh plan per call costs about as much as the claim's own work. A generic plan
-- estimates whole-table row counts, which would pass the JIT threshold: compiling takes
-- longer than any claim.
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
  caps integer[] := array_fill(p_capacity, ARRAY[cardinality(p_entrypoints)]);
  resume_after text[] := array_fill(''::text, ARRAY[cardinality(p_entrypoints)]);
  lim record;
  running integer;
  available double precision;
  throttled text[] := '{}';
  limited text;
BEGIN
  -- Settings for this transaction only (the claim is a statement of its own): no wait for the
  -- WAL flush, and only index walks that stop early, which the planner is told: without
  -- statistics (a burst of jobs before autovacuum analyzed the table) it expects a handful of
  -- rows and would read *every* queued job with a bitmap scan, to sort them (90 ms per claim
  -- at 400,000 queued); with statistics it may pick a sequential scan "until the first match"
  -- for the throttle check below, which reads the whole table when the entrypoint has none.
  PERFORM set_config('synchronous_commit', 'off', true), set_config('enable_bitmapscan', 'off', true),
          set_config('enable_seqscan', 'off', true);
  IF p_promote THEN
    -- Due deferred jobs join the runnable set first; the claim below (a new statement, so a
    -- new snapshot) sees them. "id = ANY (ARRAY(...))" here and below: the planner cannot know
    -- how many rows a now()-relative filter selects, and a join could turn into a sequential
    -- scan of the whole table; an id array always plans as primary-key lookups.
    UPDATE ${n.jobs} AS j SET status = 'queued', updated_at = now()
    WHERE j.id = ANY (ARRAY(
      SELECT s.id FROM ${n.jobs} AS s
      WHERE s.status = 'scheduled' AND s.entrypoint = ANY (p_entrypoints) AND s.execute_after <= now()
      ORDER BY s.execute_after
      LIMIT 10000
      FOR UPDATE SKIP LOCKED
    ));
  END IF;

  -- Paused entrypoints claim nothing.
  IF EXISTS (SELECT 1 FROM ${n.paused}) THEN
    SELECT array_agg(CASE WHEN p.entrypoint IS NULL THEN e.cap ELSE 0 END ORDER BY e.i) INTO caps
    FROM unnest(p_entrypoints, caps) WITH ORDINALITY AS e(name, cap, i)
    LEFT JOIN ${n.paused} AS p ON p.entrypoint = e.name;
  END IF;

  IF 0 < ANY (p_concurrency) OR 0 < ANY (p_rate) OR 0 < ANY (p_group_concurrency) THEN
    FOR lim IN
      SELECT e.i, e.name, p_concurrency[e.i] AS max_running, p_rate[e.i] AS rate, p_burst[e.i] AS burst
      FROM unnest(p_entrypoints) WITH ORDINALITY AS e(name, i)
      WHERE (p_concurrency[e.i] > 0 OR p_rate[e.i] > 0 OR p_group_concurrency[e.i] > 0) AND caps[e.i] > 0
      ORDER BY hashtext(e.name), e.name
    LOOP
      PERFORM pg_advisory_xact_lock(${n.lockSpace}, hashtext(lim.name));
      IF lim.max_running > 0 THEN
        SELECT count(*) INTO running FROM ${n.jobs} AS j WHERE j.entrypoint = lim.name AND j.status = 'picked';
        caps[lim.i] := least(caps[lim.i], greatest(lim.max_running - running, 0));
      END IF;
      IF lim.rate > 0 AND caps[lim.i] > 0 THEN
        -- clock_timestamp(), not now(): now() is when this transaction began, possibly before
        -- it waited for the lock, and the bucket must only ever refill forward.
        INSERT INTO ${n.rateLimits} AS b (entrypoint, tokens, refreshed_at)
        VALUES (lim.name, lim.burst, clock_timestamp())
        ON CONFLICT (entrypoint) DO UPDATE SET
          tokens = least(lim.burst, b.tokens + lim.rate * greatest(0, extract(epoch FROM clock_timestamp() - b.refreshed_at))),
          refreshed_at = greatest(b.refreshed_at, clock_timestamp())
        RETURNING tokens INTO available;
        IF floor(available) < caps[lim.i] THEN throttled := throttled || lim.name; END IF;
        caps[lim.i] := least(caps[lim.i], floor(available)::integer);
      END IF;
    END LOOP;
    -- Where each group-limited entrypoint's turns resume: read under its lock, so after the
    -- claim before it committed its own.
    IF 0 < ANY (p_group_concurrency) THEN
      SELECT array_agg(coalesce(c.last_group, '') ORDER BY e.i) INTO resume_after
      FROM unnest(p_entrypoints) WITH ORDINALITY AS e(name, i)
      LEFT JOIN ${n.groupCursors} AS c ON c.entrypoint = e.name AND p_group_concurrency[e.i] > 0;
    END IF;
  END IF;

  -- Without grouped jobs to claim, the lean walk: a claim is the latency path, and the turn
  -- taking below costs an idle claim about 40% more. One probe per entrypoint tells.
  IF 0 < ANY (p_group_concurrency) OR EXISTS (
    SELECT 1 FROM ${n.jobs} AS g WHERE g.entrypoint = ANY (p_entrypoints) AND g.status = 'queued' AND ${groupKey('g')} > ''
  ) THEN
    RETURN QUERY
    WITH ungrouped AS (
      SELECT e.i, c.id, c.priority, NULL::text AS grp, 0 AS lap, 0::bigint AS turn, NULL::bigint AS group_turn
      FROM unnest(p_entrypoints, caps) WITH ORDINALITY AS e(name, cap, i)
      ${ungroupedWalk}
      WHERE e.cap > 0
    ), grouped AS (
      SELECT e.i, c.id, c.priority, c.grp, c.lap, c.turn, c.group_turn
      FROM unnest(p_entrypoints, caps, p_group_concurrency, resume_after) WITH ORDINALITY AS e(name, cap, per_group, after_group, i)
      -- Running jobs per group, counted once: there are at most as many as the workers run.
      CROSS JOIN LATERAL (
        SELECT coalesce(jsonb_object_agg(counted.grp, counted.n), '{}') AS running, coalesce(sum(counted.n), 0)::integer AS total FROM (
          SELECT ${groupKey('b')} AS grp, count(*) AS n FROM ${n.jobs} AS b
          WHERE e.per_group > 0 AND e.cap > 0 AND b.entrypoint = e.name AND b.status = 'picked' AND b.headers ? '${GROUP_HEADER}'
          GROUP BY 1
        ) AS counted
      ) AS busy
      CROSS JOIN LATERAL (
        -- Turn order: one walk of jobs_turn_idx. Without a group limit it takes the first cap
        -- jobs. With one (under the entrypoint's lock, so without row locks: the UPDATE below
        -- re-checks each job is still queued) it reads a window of the walk, enough for cap
        -- jobs and one skipped per running job, and keeps what each group's room allows.
        WITH walked AS MATERIALIZED (
          SELECT q.id, q.priority, q.group_turn, ${groupKey('q')} AS grp FROM ${n.jobs} AS q
          WHERE e.per_group > 0 AND q.entrypoint = e.name AND q.status = 'queued' AND q.group_turn IS NOT NULL
            AND q.execute_after <= now()
          ORDER BY q.group_turn, q.priority DESC, q.id
          LIMIT e.cap + busy.total
        ), fair AS MATERIALIZED (
          SELECT w.grp, -1 AS lap, 0::bigint AS turn, w.id, w.priority, w.group_turn
          FROM (
            SELECT w.*, row_number() OVER (PARTITION BY w.grp ORDER BY w.group_turn, w.priority DESC, w.id) AS nth FROM walked AS w
          ) AS w
          WHERE w.nth <= e.per_group - coalesce((busy.running ->> w.grp)::integer, 0)
          ORDER BY w.group_turn, w.priority DESC, w.id
          LIMIT e.cap
        ), settled AS (
          -- The window decides unless it was full and still left the claim short: then the
          -- groups that can run lie past jobs of groups at their limit, and the key-order walk
          -- below finds them at a probe per group.
          SELECT (SELECT count(*) FROM fair) >= e.cap OR (SELECT count(*) FROM walked) < e.cap + busy.total AS ok
        )
        SELECT * FROM fair WHERE (SELECT ok FROM settled)
        UNION ALL
        SELECT * FROM (
          SELECT ${groupKey('q')} AS grp, -1 AS lap, 0::bigint AS turn, q.id, q.priority, q.group_turn FROM ${n.jobs} AS q
          WHERE e.per_group = 0 AND q.entrypoint = e.name AND q.status = 'queued' AND q.group_turn IS NOT NULL
            AND q.execute_after <= now()
          ORDER BY q.group_turn, q.priority DESC, q.id
          LIMIT e.cap
          FOR UPDATE SKIP LOCKED
        ) AS unlimited
        UNION ALL
        SELECT * FROM (${keyOrderWalk}) AS by_key WHERE e.per_group > 0 AND NOT (SELECT ok FROM settled)
      ) AS c
      WHERE e.cap > 0
    ), kept AS MATERIALIZED (
      -- Each entrypoint's cap, then the claim's capacity, highest priority first.
      SELECT k.* FROM (
        SELECT c.*, row_number() OVER (PARTITION BY c.i ORDER BY c.priority DESC, c.id) AS nth
        FROM (SELECT * FROM ungrouped UNION ALL SELECT * FROM grouped) AS c
      ) AS k
      WHERE k.nth <= caps[k.i]
      ORDER BY k.priority DESC, k.id
      LIMIT p_capacity
    ), turned AS (
      -- Where the next key-order walk resumes: after the last group it took from (lap -1 marks
      -- the turn-order walk's jobs, which leave it). And the highest turn claimed, where new
      -- jobs line up (group-turn.ts). Written only when one of them moves.
      INSERT INTO ${n.groupCursors} AS c (entrypoint, last_group, turn)
      SELECT p_entrypoints[k.i], coalesce((array_agg(k.grp ORDER BY k.lap DESC, k.turn DESC) FILTER (WHERE k.lap >= 0))[1], ''),
             coalesce(max(k.group_turn), 0)
      FROM kept AS k
      WHERE k.grp IS NOT NULL AND p_group_concurrency[k.i] > 0
      GROUP BY k.i
      ON CONFLICT (entrypoint) DO UPDATE SET last_group = coalesce(nullif(excluded.last_group, ''), c.last_group), turn = greatest(c.turn, excluded.turn)
      WHERE excluded.last_group <> '' OR excluded.turn > c.turn
    )
    ${pick('kept')}
  ELSE
    RETURN QUERY
    WITH candidates AS (
      SELECT c.id
      FROM unnest(p_entrypoints, caps) AS e(name, cap)
      ${ungroupedWalk}
      WHERE e.cap > 0
      ORDER BY c.priority DESC, c.id
      LIMIT p_capacity
    )
    ${pick('candidates')}
  END IF;

  -- Spend the tokens of what was just claimed (this transaction's claims are the picked rows
  -- of this worker with picked_at = now()). Only when some entrypoint is rate limited: the
  -- statement is not free, and most claims have no rate limit.
  IF 0 < ANY (p_rate) THEN
    UPDATE ${n.rateLimits} AS b SET tokens = b.tokens - taken.n
    FROM (
      SELECT j.entrypoint, count(*) AS n FROM ${n.jobs} AS j
      JOIN unnest(p_entrypoints, p_rate) AS r(name, rate) ON r.name = j.entrypoint AND r.rate > 0
      WHERE j.status = 'picked' AND j.worker_id = p_worker AND j.picked_at = now()
      GROUP BY j.entrypoint
    ) AS taken
    WHERE b.entrypoint = taken.entrypoint;
  END IF;

  FOREACH limited IN ARRAY throttled LOOP
    IF EXISTS (SELECT 1 FROM ${n.jobs} AS j WHERE j.entrypoint = limited AND j.status = 'queued' AND j.execute_after <= now()) THEN
      RETURN QUERY SELECT NULL::bigint, limited, NULL::integer, NULL::jsonb, NULL::jsonb, NULL::integer, NULL::integer,
                          NULL::integer, NULL::timestamptz, NULL::boolean, NULL::timestamptz;
    END IF;
  END LOOP;
END $$;`;
}

/**
 * Migration 3's claim, for a worker of an older release during a rolling deploy: the claim
 * above without group limits (its grouped jobs still take turns).
 */
export function claimJobsWithoutGroupsFunction(n: SchemaNames): string {
  return `CREATE OR REPLACE FUNCTION ${n.ident}.claim_jobs(
  p_worker uuid, p_entrypoints text[], p_concurrency integer[], p_rate double precision[], p_burst double precision[],
  p_capacity integer, p_promote boolean
) RETURNS TABLE (
  id bigint, entrypoint text, priority integer, payload jsonb, headers jsonb, attempts integer,
  rescues integer, snoozes integer, created_at timestamptz, cancel_requested boolean, execute_after timestamptz
) LANGUAGE sql AS $$
  SELECT * FROM ${n.ident}.claim_jobs(p_worker, p_entrypoints, p_concurrency, p_rate, p_burst, p_capacity, p_promote,
                                      array_fill(0, ARRAY[cardinality(p_entrypoints)]))
$$;`;
}
