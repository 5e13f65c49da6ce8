import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import { ParentNotFoundError } from '../../errors.js';
import type { FinalStatus, ParentResult } from '../../types.js';
import { PARENTS_HEADER, type EnqueueRow } from '../../port/rows.js';
import { notifyIdsInChunks } from './notify.js';

/** Raised by enqueue_after for parents it cannot find; its DETAIL lists their ids. */
const PARENT_NOT_FOUND = 'PGQ01';

/**
 * Jobs that wait for other jobs (EnqueueOptions.after), as migration 5 makes them:
 * - A child waits as `blocked`, counting in `blocked_by` its parents that have not ended;
 *   `job_dependencies` links each parent to its children.
 * - A parent with children is marked `has_children`, and a row trigger that fires only for
 *   marked rows (`WHEN (OLD.has_children)`: nothing for every other job) settles the children
 *   when the parent leaves `jobs`, whatever removed it: its outcome write, a cancel, a delete.
 *   The trigger runs after the removing statement, with a snapshot that sees that statement's
 *   log entry (how the parent ended) and every child committed before the removal.
 * - A successful parent releases each child once (the row leaves `jobs` once); a child whose
 *   last parent ended becomes `queued` (or `scheduled`, if its time has not come), and workers
 *   are woken. A parent that failed (exception, canceled, or deleted without ending) cancels
 *   its blocked children, logged `canceled` with the parent's id as the reason, which in turn
 *   cancels theirs; children stamped `run_on_parent_failure` are released instead.
 *
 * Both functions are SECURITY DEFINER: a producer enqueues children and a worker's outcome
 * write settles them without rights of their own to the dependency table or to rows of other
 * entrypoints.
 */
export function releaseChildrenFunction(n: SchemaNames): string {
  return `CREATE OR REPLACE FUNCTION ${n.ident}.release_children() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  outcome text;
  settled bigint;
BEGIN
  -- How the parent ended: its newest final log entry, written by the statement that removed
  -- it. None: it was deleted or cleared before it ended.
  SELECT l.status INTO outcome FROM ${n.log} AS l
  WHERE l.job_id = OLD.id AND l.status IN ('successful', 'exception', 'canceled')
  ORDER BY l.id DESC LIMIT 1;

  WITH children AS MATERIALIZED (
         SELECT c.id, c.run_on_parent_failure FROM ${n.jobs} AS c
         WHERE c.id = ANY (ARRAY(SELECT d.child_id FROM ${n.dependencies} AS d WHERE d.parent_id = OLD.id))
           AND c.status = 'blocked'
         ORDER BY c.id
         FOR UPDATE
       ), released AS (
         UPDATE ${n.jobs} AS c
         SET blocked_by = c.blocked_by - 1,
             status = CASE WHEN c.blocked_by > 1 THEN 'blocked' WHEN c.execute_after > now() THEN 'scheduled' ELSE 'queued' END,
             -- Runnable from now (its wait in the queue is measured from here), or later if so asked.
             execute_after = CASE WHEN c.blocked_by > 1 THEN c.execute_after ELSE greatest(c.execute_after, now()) END,
             updated_at = now()
         FROM children AS k
         WHERE c.id = k.id AND (outcome = 'successful' OR k.run_on_parent_failure)
         RETURNING c.id, c.entrypoint, c.status, c.execute_after
       ), doomed AS (
         DELETE FROM ${n.jobs} AS c USING children AS k
         WHERE c.id = k.id AND outcome IS DISTINCT FROM 'successful' AND NOT k.run_on_parent_failure
         RETURNING c.*
       ), logged AS (
         INSERT INTO ${n.log} (job_id, entrypoint, priority, status, attempt, error, payload, headers, created_at, parents)
         SELECT id, entrypoint, priority, 'canceled', attempts,
                jsonb_build_object(
                  'name', 'ParentFailedError',
                  'message', format('parent job %s %s', OLD.id, coalesce('ended ' || outcome, 'was deleted')),
                  'details', jsonb_build_object('parent', OLD.id)),
                payload, headers, created_at, parents
         FROM doomed
         RETURNING job_id
       ), done_notices AS (
         ${notifyIdsInChunks(n.doneChannel, 'done', 'logged', 'job_id')}
       ), wake_notices AS (
         SELECT pg_notify('${n.channel}', json_build_object('t', 'enqueued', 'e', entrypoint, 'd',
                  greatest(0, ceil(extract(epoch FROM min(execute_after) - now()) * 1000)))::text)
         FROM released WHERE status <> 'blocked' GROUP BY entrypoint
       )
  SELECT (SELECT count(*) FROM released) + (SELECT count(*) FROM logged)
         + (SELECT count(*) FROM done_notices) + (SELECT count(*) FROM wake_notices)
  INTO settled;
  RETURN NULL;
END $fn$;
REVOKE EXECUTE ON FUNCTION ${n.ident}.release_children() FROM PUBLIC;`;
}

export function releaseChildrenTrigger(n: SchemaNames): string {
  return `DROP TRIGGER IF EXISTS jobs_release_children ON ${n.jobs};
CREATE TRIGGER jobs_release_children AFTER DELETE ON ${n.jobs}
FOR EACH ROW WHEN (OLD.has_children) EXECUTE FUNCTION ${n.ident}.release_children();`;
}

/**
 * Inserts jobs that wait for parents, in one call:
 * 1. Live parents are locked (in id order, so producers naming the same parents cannot
 *    deadlock) and marked `has_children`: none of them can end before this transaction
 *    commits, and whichever statement removes one later fires the trigger, which then sees
 *    these children.
 * 2. A new statement, so a new snapshot: parents that were not live have ended, and their log
 *    entries (committed before the lock was granted) are visible now. A parent in neither
 *    place does not exist: the whole call fails (PGQ01), nothing is written.
 * 3. Each child is inserted `blocked` on its live parents, or runnable when they have all
 *    ended well; one whose parent already failed is logged `canceled` at once (unless it runs
 *    on parent failure), so a wait on it ends.
 */
export function enqueueAfterFunction(n: SchemaNames): string {
  return `CREATE OR REPLACE FUNCTION ${n.ident}.enqueue_after(p_items json)
RETURNS TABLE (id bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
#variable_conflict use_column
DECLARE
  wanted bigint[];
  live bigint[];
  ended jsonb;
  missing bigint[];
BEGIN
  SELECT coalesce(array_agg(DISTINCT p::bigint), '{}') INTO wanted
  FROM json_array_elements(p_items) AS i, json_array_elements_text(i->'r') AS p;

  SELECT coalesce(array_agg(j.id), '{}') INTO live
  FROM (SELECT j.id FROM ${n.jobs} AS j WHERE j.id = ANY (wanted) ORDER BY j.id FOR NO KEY UPDATE) AS j;
  UPDATE ${n.jobs} AS j SET has_children = true WHERE j.id = ANY (live) AND NOT j.has_children;

  SELECT coalesce(jsonb_object_agg(e.job_id::text, e.status), '{}') INTO ended
  FROM (
    SELECT DISTINCT ON (l.job_id) l.job_id, l.status FROM ${n.log} AS l
    WHERE l.job_id = ANY (wanted) AND NOT (l.job_id = ANY (live)) AND l.status IN ('successful', 'exception', 'canceled')
    ORDER BY l.job_id, l.id DESC
  ) AS e;
  missing := ARRAY(SELECT w FROM unnest(wanted) AS w WHERE NOT (w = ANY (live)) AND NOT ended ? w::text ORDER BY w);
  IF cardinality(missing) > 0 THEN
    RAISE EXCEPTION USING ERRCODE = '${PARENT_NOT_FOUND}', MESSAGE = 'pgqueuer: parent jobs not found', DETAIL = array_to_string(missing, ',');
  END IF;

  RETURN QUERY
  WITH input AS MATERIALIZED (
         SELECT t.*, coalesce(t.a, now() + make_interval(secs => coalesce(t.m, 0) / 1000.0)) AS run_at,
                ARRAY(SELECT x::bigint FROM json_array_elements_text(t.r) AS x) AS parents,
                nextval(pg_get_serial_sequence('${n.jobs}', 'id')) AS new_id
         FROM ROWS FROM (json_to_recordset(p_items) AS (e text, p integer, d jsonb, h jsonb, a timestamptz, m double precision, r json, f boolean))
           WITH ORDINALITY AS t(e, p, d, h, a, m, r, f, n)
       ), judged AS (
         SELECT i.*,
                (SELECT count(DISTINCT x) FROM unnest(i.parents) AS x WHERE x = ANY (live))::integer AS pending,
                (SELECT min(x) FROM unnest(i.parents) AS x WHERE ended->>(x::text) IN ('exception', 'canceled')) AS failed_parent,
                coalesce(i.h, '{}'::jsonb) || jsonb_build_object('${PARENTS_HEADER}', to_jsonb(i.parents)) AS headers
         FROM input AS i
       ), inserted AS (
         INSERT INTO ${n.jobs} (id, entrypoint, priority, payload, headers, execute_after, status, parents, blocked_by, run_on_parent_failure)
         SELECT new_id, e, p, d, headers, run_at,
                CASE WHEN pending > 0 THEN 'blocked' WHEN run_at > now() THEN 'scheduled' ELSE 'queued' END,
                parents, pending, f
         FROM judged WHERE failed_parent IS NULL OR f
         RETURNING 1
       ), canceled AS (
         INSERT INTO ${n.log} (job_id, entrypoint, priority, status, attempt, error, payload, headers, created_at, parents)
         SELECT new_id, e, p, 'canceled', 0,
                jsonb_build_object('name', 'ParentFailedError', 'message',
                  format('parent job %s ended %s', failed_parent, ended->>(failed_parent::text)),
                  'details', jsonb_build_object('parent', failed_parent)),
                d, headers, now(), parents
         FROM judged WHERE failed_parent IS NOT NULL AND NOT f
         RETURNING job_id
       ), linked AS (
         INSERT INTO ${n.dependencies} (parent_id, child_id)
         SELECT DISTINCT x, new_id FROM judged, unnest(parents) AS x
         RETURNING 1
       ), done_notices AS (
         ${notifyIdsInChunks(n.doneChannel, 'done', 'canceled', 'job_id')}
       )
  SELECT new_id FROM judged
  WHERE (SELECT count(*) FROM inserted) + (SELECT count(*) FROM canceled) + (SELECT count(*) FROM linked) + (SELECT count(*) FROM done_notices) >= 0
  ORDER BY n;
END $fn$;
REVOKE EXECUTE ON FUNCTION ${n.ident}.enqueue_after(json) FROM PUBLIC;`;
}

/**
 * Enqueues rows that have parents, all or none; ids in input order. `parentsOf(i)` gives row i's
 * parent ids (the caller resolved references to rows of the same call).
 */
export function enqueueAfterQuery(n: SchemaNames) {
  const statement = prepared('enqueue_after', `SELECT id FROM ${n.ident}.enqueue_after($1::json)`);
  return async (db: Queryable, rows: readonly EnqueueRow[], parentsOf: (i: number) => number[]): Promise<number[]> => {
    const json = `[${rows
      .map(
        (r, i) =>
          `{"e":${JSON.stringify(r.entrypoint)},"p":${r.priority},"d":${r.payload},"h":${r.headers ?? 'null'},` +
          `"a":${r.executeAt === null ? 'null' : JSON.stringify(r.executeAt)},"m":${r.delayMs ?? 'null'},` +
          `"r":${JSON.stringify(parentsOf(i))},"f":${r.runOnParentFailure}}`,
      )
      .join(',')}]`;
    try {
      return (await db.query<{ id: string }>(statement, [json])).map((r) => Number(r.id));
    } catch (err) {
      const e = err as { code?: string; detail?: string };
      if (e?.code === PARENT_NOT_FOUND) throw new ParentNotFoundError((e.detail ?? '').split(',').map(Number));
      throw err;
    }
  };
}

/** How finished parents ended and what they returned (a handler's ctx.parents), in input order. */
export function parentResultsQuery(n: SchemaNames) {
  const statement = prepared(
    'parent_results',
    `SELECT p.id, e.status, e.result
     FROM unnest($1::bigint[]) WITH ORDINALITY AS p(id, n)
     CROSS JOIN LATERAL (
       SELECT l.status, l.result FROM ${n.log} AS l
       WHERE l.job_id = p.id AND l.status IN ('successful', 'exception', 'canceled')
       ORDER BY l.id DESC LIMIT 1
     ) AS e
     ORDER BY p.n`,
  );
  return async (db: Queryable, ids: readonly number[]): Promise<ParentResult[]> => {
    if (ids.length === 0) return [];
    const rows = await db.query<{ id: string; status: FinalStatus; result: unknown }>(statement, [ids]);
    return rows.map((r) => ({ id: Number(r.id), status: r.status, result: r.result ?? undefined }));
  };
}
