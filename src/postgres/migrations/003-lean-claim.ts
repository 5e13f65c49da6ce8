import type { SchemaNames } from '../schema-names.js';
import type { Migration } from './migration.js';

/**
 * A leaner claim (claim_jobs with p_promote, returning only what a worker reads), and claims
 * and outcome writes that commit without waiting for the WAL flush: synchronous_commit off for
 * those transactions only, never for an enqueue, a cancel, or anything in a caller's
 * transaction. What a database crash can then do: lose the last fraction of a second of
 * committed claims and outcomes. A lost claim puts its jobs back as they were (queued); a lost
 * outcome leaves its job picked by a worker that is gone, so it is rescued and runs again (a
 * `waitFor` that already saw the lost outcome is not told again). A job is never lost: an
 * enqueue commits synchronously, and a synchronous commit flushes all the WAL before it, so a
 * crash cannot keep a later enqueue while losing an earlier outcome (say, the one that freed
 * its dedupe key).
 */
export const leanClaim: Migration = {
  version: 3,
  name: 'lean-claim',
  sql: (n: SchemaNames) => `
-- Claims up to p_capacity runnable jobs for one worker in one round trip. Replaces migration
-- 1's function for this version's workers (older workers keep calling that one):
-- - p_promote: move due deferred jobs into the runnable set first. A worker asks for it when
--   deferred jobs may have come due (its poll, a due timer, startup), not when a NOTIFY
--   announces jobs runnable now: that claim is the latency path, and stays lean.
-- - returns only what a worker needs of each job.
-- - commits without waiting for the WAL flush: a claim lost in a crash only means its jobs
--   run again (see 003-lean-claim.ts).
-- p_concurrency / p_rate / p_burst are per entrypoint (0 = no limit). Limited entrypoints are
-- serialised with a transaction-scoped advisory lock, taken in one global order so two workers
-- can never deadlock; under that lock the count of picked jobs and the token bucket are exact
-- across all workers.
CREATE OR REPLACE FUNCTION ${n.ident}.claim_jobs(
  p_worker uuid,
  p_entrypoints text[],
  p_concurrency integer[],
  p_rate double precision[],
  p_burst double precision[],
  p_capacity integer,
  p_promote boolean
) RETURNS TABLE (
  id bigint, entrypoint text, priority integer, payload jsonb, headers jsonb, attempts integer,
  rescues integer, created_at timestamptz, cancel_requested boolean, execute_after timestamptz
) LANGUAGE plpgsql
-- Its statements are planned once per connection, not at every call: a claim is the latency
-- path, and a fresh plan per call costs about as much as the claim's own work.
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
  caps integer[] := array_fill(p_capacity, ARRAY[cardinality(p_entrypoints)]);
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

  IF 0 < ANY (p_concurrency) OR 0 < ANY (p_rate) THEN
    FOR lim IN
      SELECT e.i, e.name, p_concurrency[e.i] AS max_running, p_rate[e.i] AS rate, p_burst[e.i] AS burst
      FROM unnest(p_entrypoints) WITH ORDINALITY AS e(name, i)
      WHERE p_concurrency[e.i] > 0 OR p_rate[e.i] > 0
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
  END IF;

  RETURN QUERY
  WITH candidates AS (
    SELECT c.id
    FROM unnest(p_entrypoints, caps) AS e(name, cap)
    CROSS JOIN LATERAL (
      SELECT q.id, q.priority FROM ${n.jobs} AS q
      WHERE q.entrypoint = e.name AND q.status = 'queued' AND q.execute_after <= now()
      ORDER BY q.priority DESC, q.id
      LIMIT e.cap
      FOR UPDATE SKIP LOCKED
    ) AS c
    WHERE e.cap > 0
    ORDER BY c.priority DESC, c.id
    LIMIT p_capacity
  )
  UPDATE ${n.jobs} AS j
  SET status = 'picked', attempts = j.attempts + 1, worker_id = p_worker,
      heartbeat = now(), picked_at = now(), updated_at = now()
  WHERE j.id = ANY (ARRAY(SELECT id FROM candidates))
  RETURNING j.id, j.entrypoint, j.priority, j.payload, j.headers, j.attempts, j.rescues, j.created_at,
            j.cancel_requested, j.execute_after;

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

  -- Entrypoints whose tokens ran out while runnable jobs remain: reported to the worker (for
  -- its rate-limit metric) as rows with a NULL id and only the entrypoint set.
  FOREACH limited IN ARRAY throttled LOOP
    IF EXISTS (SELECT 1 FROM ${n.jobs} AS j WHERE j.entrypoint = limited AND j.status = 'queued' AND j.execute_after <= now()) THEN
      RETURN QUERY SELECT NULL::bigint, limited, NULL::integer, NULL::jsonb, NULL::jsonb, NULL::integer, NULL::integer,
                          NULL::timestamptz, NULL::boolean, NULL::timestamptz;
    END IF;
  END LOOP;
END $$;
`,
};
