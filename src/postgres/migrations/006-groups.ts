import type { SchemaNames } from '../schema-names.js';
import type { Migration } from './migration.js';
import { schemaObject } from './objects.js';
import { claimJobsV6 } from './006-claim-jobs.js';

/**
 * Fair limits per group (EntrypointOptions.groupConcurrency), enforced in the claim.
 * - A job's group is its `pgq-group` header; the claim index now leads with it after the
 *   entrypoint (jobs without a group under ''), so ungrouped jobs are still one ordered walk and
 *   the groups can be skip-scanned. Rebuilding the index holds a lock on the jobs table for the
 *   build (live jobs only: about a second per million).
 * - job_group_cursors: where each group-limited entrypoint's turns resume.
 * - claim_jobs gains p_group_concurrency; the previous overload becomes a wrapper of it, and
 *   migration 1's, which walks the old index order, is dropped.
 */
export const groups: Migration = {
  version: 6,
  name: 'groups',
  sql: (n: SchemaNames) => `
CREATE TABLE ${n.groupCursors} (
  entrypoint text PRIMARY KEY,
  last_group text NOT NULL
);

DROP INDEX IF EXISTS ${n.ident}.jobs_queued_idx;
${schemaObject(n, 'jobs_queued_idx')}
DROP FUNCTION IF EXISTS ${n.ident}.claim_jobs(uuid, text[], integer[], double precision[], double precision[], integer);
${claimJobsV6(n)}
${schemaObject(n, 'claim_jobs(uuid, text[], integer[], double precision[], double precision[], integer, boolean)')}
`,
};
