import type { SchemaNames } from '../schema-names.js';
import { cancelJobsFunction } from '../statements/cancel.js';
import { enqueueAfterFunction, releaseChildrenFunction, releaseChildrenTrigger } from '../statements/dependencies.js';
import { CLAIM_ARGUMENTS, CLAIM_ARGUMENTS_V3, claimJobsFunction, claimJobsWithoutGroupsFunction } from '../statements/claim-function.js';
import { groupKey } from '../statements/group-key.js';
import { HANDED_OFF_SETTING } from '../statements/hand-off.js';
import { assignGroupTurnFunction, groupTurnTriggers } from '../statements/group-turn.js';

/**
 * The schema's objects that can be made again from their definition alone, as this version
 * of pgqueuer defines them: indexes, functions, the NOTIFY trigger. `verify` checks that each
 * exists; `install` / `pgq upgrade` re-creates any that is missing (a dropped index would
 * otherwise only come back by uninstalling, which loses every job).
 *
 * The migration that introduced an object applies this same definition, so the two cannot
 * drift apart. Changing a definition later therefore changes that migration's text: copy the
 * old definition into the migration first (its checksum is pinned by a test).
 */
export interface SchemaObject {
  kind: 'index' | 'function' | 'trigger';
  /** As `verify` reports it. */
  name: string;
  /** Whether it exists (and, for the trigger, is enabled): a query returning one boolean `ok`. */
  present: string;
  /** Statements that create it. */
  create: string;
}

function index(n: SchemaNames, name: string, definition: string): SchemaObject {
  return {
    kind: 'index',
    name,
    present: `SELECT to_regclass('${n.ident}.${name}') IS NOT NULL AS ok`,
    create: `CREATE ${definition.replace('{name}', `IF NOT EXISTS ${name}`)};`,
  };
}

export function schemaObjects(n: SchemaNames): SchemaObject[] {
  return [
    // The claim walks this per entrypoint: jobs without a group (key '') highest priority
    // first, oldest first; then each group's the same way, the groups found by a skip scan.
    index(n, 'jobs_queued_idx', `INDEX {name} ON ${n.jobs} (entrypoint, (${groupKey()}), priority DESC, id) WHERE status = 'queued'`),
    // Promotion of due deferred jobs and the "next due" hint for idle workers.
    index(n, 'jobs_scheduled_idx', `INDEX {name} ON ${n.jobs} (entrypoint, execute_after) WHERE status = 'scheduled'`),
    // Concurrency counts and the rescue of jobs whose worker stopped heartbeating.
    index(n, 'jobs_picked_idx', `INDEX {name} ON ${n.jobs} (entrypoint, heartbeat) WHERE status = 'picked'`),
    // Held jobs: few, listed and requeued per entrypoint.
    index(n, 'jobs_held_idx', `INDEX {name} ON ${n.jobs} (entrypoint, id) WHERE status = 'held'`),
    index(n, 'jobs_dedupe_idx', `UNIQUE INDEX {name} ON ${n.jobs} (entrypoint, dedupe_key) WHERE dedupe_key IS NOT NULL`),
    // A job's history, and finished jobs newest first (walked backwards).
    index(n, 'job_log_job_id_idx', `INDEX {name} ON ${n.log} (job_id)`),
    // Failed and canceled jobs, newest first: rare, so the index costs successes nothing.
    index(n, 'job_log_failed_idx', `INDEX {name} ON ${n.log} (job_id) WHERE status IN ('exception', 'canceled')`),
    // Time windows over the log (throughput, age-based retention). Rows arrive in finished_at
    // order, so a BRIN index serves ranges for almost nothing per insert.
    index(n, 'job_log_finished_at_idx', `INDEX {name} ON ${n.log} USING brin (finished_at)`),
    {
      kind: 'function',
      name: 'notify_enqueued()',
      present: `SELECT to_regprocedure('${n.ident}.notify_enqueued()') IS NOT NULL AS ok`,
      create: notifyEnqueuedFunction(n),
    },
    {
      kind: 'trigger',
      name: 'jobs_notify_enqueued',
      present: `SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'jobs_notify_enqueued' AND tgrelid = to_regclass('${n.jobs}') AND tgenabled <> 'D') AS ok`,
      // Dropped or disabled: made again, enabled.
      // Not for a hand-off's insert (statements/hand-off.ts), which says so: its one job is
      // picked and announced to its worker, and the call would cost the latency path.
      create: `DROP TRIGGER IF EXISTS jobs_notify_enqueued ON ${n.jobs};
CREATE TRIGGER jobs_notify_enqueued AFTER INSERT ON ${n.jobs}
REFERENCING NEW TABLE AS new_jobs FOR EACH STATEMENT
WHEN (current_setting('${HANDED_OFF_SETTING}', true) IS DISTINCT FROM 'on')
EXECUTE FUNCTION ${n.ident}.notify_enqueued();`,
    },
    {
      kind: 'function',
      name: 'cancel_jobs(bigint[])',
      present: `SELECT to_regprocedure('${n.ident}.cancel_jobs(bigint[])') IS NOT NULL AS ok`,
      create: cancelJobsFunction(n),
    },
    // A job's children, for its completion to settle (the PK leads with parent_id) and getJob.
    index(n, 'job_dependencies_child_idx', `INDEX {name} ON ${n.dependencies} (child_id)`),
    // Jobs that wait for others: few, and only these pay for the index.
    index(n, 'jobs_blocked_idx', `INDEX {name} ON ${n.jobs} (entrypoint, id) WHERE status = 'blocked'`),
    {
      kind: 'function',
      name: 'release_children()',
      present: `SELECT to_regprocedure('${n.ident}.release_children()') IS NOT NULL AS ok`,
      create: releaseChildrenFunction(n),
    },
    {
      kind: 'trigger',
      name: 'jobs_release_children',
      present: `SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'jobs_release_children' AND tgrelid = to_regclass('${n.jobs}') AND tgenabled <> 'D') AS ok`,
      create: releaseChildrenTrigger(n),
    },
    {
      kind: 'function',
      name: 'enqueue_after(json)',
      present: `SELECT to_regprocedure('${n.ident}.enqueue_after(json)') IS NOT NULL AS ok`,
      create: enqueueAfterFunction(n),
    },
    // Grouped jobs in turn order, for the claim to take turns across groups in one walk.
    index(n, 'jobs_turn_idx', `INDEX {name} ON ${n.jobs} (entrypoint, group_turn, priority DESC, id) WHERE status = 'queued' AND group_turn IS NOT NULL`),
    {
      kind: 'function',
      name: 'assign_group_turn()',
      present: `SELECT to_regprocedure('${n.ident}.assign_group_turn()') IS NOT NULL AS ok`,
      create: assignGroupTurnFunction(n),
    },
    {
      kind: 'trigger',
      name: 'jobs_group_turn',
      present: `SELECT count(*) = 2 AS ok FROM pg_trigger
        WHERE tgname IN ('jobs_group_turn', 'jobs_group_turn_changed') AND tgrelid = to_regclass('${n.jobs}') AND tgenabled <> 'D'`,
      create: groupTurnTriggers(n),
    },
    {
      kind: 'function',
      name: `claim_jobs(${CLAIM_ARGUMENTS})`,
      present: `SELECT to_regprocedure('${n.ident}.claim_jobs(${CLAIM_ARGUMENTS})') IS NOT NULL AS ok`,
      create: claimJobsFunction(n),
    },
    {
      kind: 'function',
      name: `claim_jobs(${CLAIM_ARGUMENTS_V3})`,
      present: `SELECT to_regprocedure('${n.ident}.claim_jobs(${CLAIM_ARGUMENTS_V3})') IS NOT NULL AS ok`,
      create: claimJobsWithoutGroupsFunction(n),
    },
  ];
}

/**
 * One notification per entrypoint per statement (not per row), so a batch insert of 50,000
 * jobs wakes workers once. Jobs inserted by hand with SQL wake workers too.
 */
function notifyEnqueuedFunction(n: SchemaNames): string {
  return `CREATE OR REPLACE FUNCTION ${n.ident}.notify_enqueued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${n.channel}', json_build_object('t', 'enqueued', 'e', entrypoint, 'd', delay_ms)::text)
  FROM (
    SELECT entrypoint, greatest(0, ceil(extract(epoch FROM min(execute_after) - now()) * 1000)) AS delay_ms
    -- A blocked job is not runnable: its parents' completion wakes workers when it is.
    FROM new_jobs WHERE status <> 'blocked' GROUP BY entrypoint
  ) AS per_entrypoint;
  RETURN NULL;
END $$;`;
}

/** The definition of one object by name, for a migration that introduces it. */
export function schemaObject(n: SchemaNames, name: string): string {
  const object = schemaObjects(n).find((o) => o.name === name || o.name.startsWith(`${name}(`));
  if (!object) throw new Error(`no schema object ${name}`);
  return object.create;
}
