import type { SchemaNames } from '../schema-names.js';
import type { Migration } from './migration.js';
import { schemaObject } from './objects.js';

/**
 * Jobs that wait for other jobs (EnqueueOptions.after); statements/dependencies.ts explains
 * how they are released. Every new column has a constant default, so adding it rewrites
 * nothing, and jobs without parents pay nothing per row: the release trigger fires only for
 * rows marked `has_children`.
 */
export const dependencies: Migration = {
  version: 5,
  name: 'dependencies',
  sql: (n: SchemaNames) => `
ALTER TABLE ${n.jobs} DROP CONSTRAINT jobs_status_check,
  ADD CONSTRAINT jobs_status_check CHECK (status IN ('scheduled', 'queued', 'picked', 'held', 'blocked')),
  -- The jobs this one waits for, in the order given (the handler's ctx.parents).
  ADD COLUMN parents bigint[],
  -- How many of them have not ended yet: 0 for a runnable job.
  ADD COLUMN blocked_by integer NOT NULL DEFAULT 0,
  -- onParentFailure 'run', stamped at enqueue by a producer that knows the entrypoint.
  ADD COLUMN run_on_parent_failure boolean NOT NULL DEFAULT false,
  -- Some job waits for this one: its removal settles them (the release trigger).
  ADD COLUMN has_children boolean NOT NULL DEFAULT false;
ALTER TABLE ${n.log} ADD COLUMN parents bigint[];

CREATE TABLE ${n.dependencies} (
  parent_id bigint NOT NULL,
  child_id  bigint NOT NULL,
  PRIMARY KEY (parent_id, child_id)
);

${schemaObject(n, 'job_dependencies_child_idx')}
${schemaObject(n, 'jobs_blocked_idx')}
${schemaObject(n, 'notify_enqueued')}
${schemaObject(n, 'cancel_jobs')}
${schemaObject(n, 'release_children')}
${schemaObject(n, 'jobs_release_children')}
${schemaObject(n, 'enqueue_after')}
`,
};
