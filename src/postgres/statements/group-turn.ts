import type { SchemaNames } from '../schema-names.js';
import { groupKey } from './group-key.js';
import { GROUP_HEADER } from '../../port/rows.js';

/**
 * Each grouped job's turn (jobs.group_turn, NULL without a group), set as the job is written.
 * The claim serves grouped jobs in turn order (then priority, then id), so one ordered walk of
 * jobs_turn_idx takes turns across the groups: each group's first queued job shares the first
 * turn, each group's second the next, and so on (start-time fair queuing, counted in jobs).
 * - A job joins its group's line behind the group's last queued job (its turn + 1), but not
 *   before the highest turn claimed so far (job_group_cursors.turn, kept by group-limited
 *   claims): a group that fell behind, its jobs held back by its limit, does not line its new
 *   jobs up ahead of every other group's.
 * - A job of higher priority than some of its group's queued jobs takes the turn of the first
 *   of them, and sorts before it within that turn: a group still runs by priority, then enqueue
 *   order.
 * - A group with nothing queued starts at the current turn: the lowest turn queued, or with
 *   nothing queued the highest turn claimed, so a job that was deferred or retried in the
 *   meantime, keeping its turn, is not left behind new groups.
 * An append costs two lookups: the group's last job, the cursor.
 * Concurrent writers of one group may give two jobs the same turn; they then run by priority
 * and id, as everywhere. SECURITY DEFINER: producers may not read the jobs they line up behind.
 */
export function assignGroupTurnFunction(n: SchemaNames): string {
  const queuedOfGroup = `FROM ${n.jobs} AS j
  WHERE j.entrypoint = NEW.entrypoint AND j.status = 'queued' AND ${groupKey('j')} = NEW.headers ->> '${GROUP_HEADER}' AND j.id <> NEW.id`;
  // Index lookups only, which the planner is told: with the statistics of a table analyzed
  // while nearly empty it would scan all queued jobs for each insert (seen: 9.7 s per 1,000
  // grouped jobs at 29,000 queued).
  return `CREATE OR REPLACE FUNCTION ${n.ident}.assign_group_turn() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET enable_seqscan = off SET enable_bitmapscan = off AS $fn$
DECLARE
  last_priority integer;
  last_turn bigint;
  served bigint;
BEGIN
  IF coalesce(NEW.headers ->> '${GROUP_HEADER}', '') = '' THEN
    NEW.group_turn := NULL;
    RETURN NEW;
  END IF;
  -- The group's last job in its line: lowest priority, newest.
  SELECT j.priority, j.group_turn INTO last_priority, last_turn ${queuedOfGroup}
  ORDER BY j.priority, j.id DESC LIMIT 1;
  IF last_priority < NEW.priority THEN
    SELECT j.group_turn INTO NEW.group_turn ${queuedOfGroup} AND j.priority < NEW.priority
    ORDER BY j.priority DESC, j.id LIMIT 1;
    RETURN NEW;
  END IF;
  SELECT c.turn INTO served FROM ${n.groupCursors} AS c WHERE c.entrypoint = NEW.entrypoint;
  IF last_turn IS NOT NULL THEN
    NEW.group_turn := greatest(last_turn + 1, served);
  ELSE
    NEW.group_turn := coalesce(
      (SELECT j.group_turn FROM ${n.jobs} AS j
       WHERE j.entrypoint = NEW.entrypoint AND j.status = 'queued' AND j.group_turn IS NOT NULL
       ORDER BY j.group_turn, j.priority DESC, j.id LIMIT 1),
      served, 0);
  END IF;
  RETURN NEW;
END $fn$;`;
}

/** On every insert of a grouped job, and when a replace changes a job's group or priority. */
export function groupTurnTriggers(n: SchemaNames): string {
  return `DROP TRIGGER IF EXISTS jobs_group_turn ON ${n.jobs};
CREATE TRIGGER jobs_group_turn BEFORE INSERT ON ${n.jobs}
FOR EACH ROW WHEN ((NEW.headers ->> '${GROUP_HEADER}') <> '') EXECUTE FUNCTION ${n.ident}.assign_group_turn();
DROP TRIGGER IF EXISTS jobs_group_turn_changed ON ${n.jobs};
CREATE TRIGGER jobs_group_turn_changed BEFORE UPDATE OF headers, priority ON ${n.jobs}
FOR EACH ROW WHEN (OLD.headers IS DISTINCT FROM NEW.headers OR OLD.priority IS DISTINCT FROM NEW.priority)
EXECUTE FUNCTION ${n.ident}.assign_group_turn();`;
}
