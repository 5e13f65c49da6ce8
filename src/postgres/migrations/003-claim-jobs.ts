import type { SchemaNames } from '../schema-names.js';

/**
 * claim_jobs as migration 3 released it (its checksum is pinned). Migration 6 turns it into a
 * wrapper of the claim that knows groups (objects.ts), so a worker of an older release keeps
 * claiming during a rolling deploy.
 */
export function claimJobsV3(n: SchemaNames): string {
  return `CREATE OR REPLACE FUNCTION ${n.ident}.claim_jobs(
  p_worker uuid,
  p_entrypoints text[],
  p_concurrency integer[],
  p_rate double precision[],
  p_burst double precision[],
  p_capacity integer,
  p_promote boolean
) RETURNS TABLE (
  id bigint, entrypoint text, priority integer, payload jsonb, headers jsonb, attempts integer,
  rescues integer, snoozes integer, created_at timestamptz, cancel_requested boolean, execute_after timestamptz
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

  -- Paused entrypoints claim nothing.
  IF EXISTS (SELECT 1 FROM ${n.paused}) THEN
    SELECT array_agg(CASE WHEN p.entrypoint IS NULL THEN e.cap ELSE 0 END ORDER BY e.i) INTO caps
    FROM unnest(p_entrypoints, caps) WITH ORDINALITY AS e(name, cap, i)
    LEFT JOIN ${n.paused} AS p ON p.entrypoint = e.name;
  END IF;

  IF 0 < ANY (p_concurrency) OR 0 < ANY (p_rate) THEN
    FOR lim IN
      SELECT e.i, e.name, p_concurrency[e.i] AS max_running, p_rate[e.i] AS rate, p_burst[e.i] AS burst
      FROM unnest(p_entrypoints) WITH ORDINALITY AS e(name, i)
      WHERE (p_concurrency[e.i] > 0 OR p_rate[e.i] > 0) AND caps[e.i] > 0
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
  RETURNING j.id, j.entrypoint, j.priority, j.payload, j.headers, j.attempts, j.rescues, j.snoozes, j.created_at,
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

  FOREACH limited IN ARRAY throttled LOOP
    IF EXISTS (SELECT 1 FROM ${n.jobs} AS j WHERE j.entrypoint = limited AND j.status = 'queued' AND j.execute_after <= now()) THEN
      RETURN QUERY SELECT NULL::bigint, limited, NULL::integer, NULL::jsonb, NULL::jsonb, NULL::integer, NULL::integer,
                          NULL::integer, NULL::timestamptz, NULL::boolean, NULL::timestamptz;
    END IF;
  END LOOP;
END $$;`;
}
