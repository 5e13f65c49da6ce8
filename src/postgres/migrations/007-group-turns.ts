import type { SchemaNames } from '../schema-names.js';
import type { Migration } from './migration.js';
import { schemaObject } from './objects.js';
import { groupKey } from '../statements/group-key.js';

/**
 * Groups take turns in one ordered walk (statements/group-turn.ts): a claim with a group limit
 * no longer probes the index once per group it serves.
 * - jobs.group_turn, set by a row trigger on the insert of a grouped job (and when a replace
 *   changes a job's group or priority), and jobs_turn_idx, the walk. Jobs already waiting get
 *   their place in their group's line, counted from turn 0.
 * - job_group_cursors.turn: the highest turn claimed, where a group with nothing queued starts
 *   once nothing is queued.
 * - claim_jobs walks turn order first.
 * Adding a column without a default rewrites nothing; the backfill touches grouped jobs only.
 */
export const groupTurns: Migration = {
  version: 7,
  name: 'group turns',
  sql: (n: SchemaNames) => `
ALTER TABLE ${n.jobs} ADD COLUMN group_turn bigint;
ALTER TABLE ${n.groupCursors} ADD COLUMN turn bigint NOT NULL DEFAULT 0;

UPDATE ${n.jobs} AS j SET group_turn = lined.turn
FROM (
  SELECT id, row_number() OVER (PARTITION BY entrypoint, ${groupKey()} ORDER BY priority DESC, id) - 1 AS turn
  FROM ${n.jobs} WHERE ${groupKey()} <> ''
) AS lined
WHERE j.id = lined.id;

${schemaObject(n, 'jobs_turn_idx')}
${schemaObject(n, 'assign_group_turn()')}
${schemaObject(n, 'jobs_group_turn')}
${schemaObject(n, 'claim_jobs(uuid, text[], integer[], double precision[], double precision[], integer, boolean, integer[])')}
`,
};
