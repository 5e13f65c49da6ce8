import type { SchemaNames } from '../schema-names.js';
import type { Migration } from './migration.js';
import { claimJobsV3 } from './003-claim-jobs.js';
import { schemaObject } from './objects.js';

/**
 * The job lifecycle, and a leaner claim.
 * - Jobs can be `held` (failed for good under `onFailure: 'hold'`, with the error that held
 *   them), count their snoozes (RetryLaterError, logged `snoozed`), keep their dedupe key for
 *   a window after they finished (dedupe_reservations), and record the job they were
 *   requeued from. Entrypoints can be paused (paused_entrypoints).
 * - claim_jobs gains p_promote and honours pauses (a new overload: an older worker keeps
 *   calling migration 1's).
 * - Claims and outcome writes commit without waiting for the WAL flush (synchronous_commit off
 *   for those transactions only, never for an enqueue, a cancel, or anything in a caller's
 *   transaction). What a database crash can then do: lose the last fraction of a second of
 *   committed claims and outcomes. A lost claim puts its jobs back as they were (queued); a
 *   lost outcome leaves its job picked by a worker that is gone, so it is rescued and runs
 *   again (a `waitFor` that already saw the lost outcome is not told again). A job is never
 *   lost: an enqueue commits synchronously, and a synchronous commit flushes all the WAL
 *   before it, so a crash cannot keep a later enqueue while losing an earlier outcome (say,
 *   the one that freed its dedupe key).
 */
export const lifecycle: Migration = {
  version: 3,
  name: 'lifecycle',
  sql: (n: SchemaNames) => `
ALTER TABLE ${n.jobs} DROP CONSTRAINT jobs_status_check,
  ADD CONSTRAINT jobs_status_check CHECK (status IN ('scheduled', 'queued', 'picked', 'held')),
  -- Attempts that asked to run later: like rescues, not the job's failures.
  ADD COLUMN snoozes integer NOT NULL DEFAULT 0,
  -- What failed a held job.
  ADD COLUMN error jsonb,
  ADD COLUMN dedupe_window_ms double precision,
  ADD COLUMN requeued_from bigint;
ALTER TABLE ${n.log} DROP CONSTRAINT job_log_status_check,
  ADD CONSTRAINT job_log_status_check CHECK (status IN ('successful', 'exception', 'canceled', 'retried', 'rescued', 'snoozed')),
  ADD COLUMN requeued_from bigint;

CREATE TABLE ${n.paused} (
  entrypoint text        PRIMARY KEY,
  paused_at  timestamptz NOT NULL DEFAULT now()
);

-- Dedupe keys of finished jobs, still taken until expires_at (EnqueueOptions.dedupeWindowMs).
CREATE TABLE ${n.dedupeReservations} (
  entrypoint text        NOT NULL,
  dedupe_key text        NOT NULL,
  job_id     bigint      NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (entrypoint, dedupe_key)
);

${schemaObject(n, 'jobs_held_idx')}
${schemaObject(n, 'job_log_failed_idx')}
${claimJobsV3(n)}
`,
};
