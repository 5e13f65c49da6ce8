import type { SchemaNames } from '../schema-names.js';
import type { Migration } from './migration.js';
import { schemaObject } from './objects.js';

/**
 * Hand-off (statements/hand-off.ts): an idle worker waits in idle_workers, and an enqueue of
 * one runnable job may hand the job straight to it, marked picked as it is inserted, so the
 * job starts without a claim's round trip.
 * - UNLOGGED: its rows are about live workers only and are rewritten every heartbeat, so they
 *   need no WAL. After a crash or on a promoted replica the table is empty: enqueues take the
 *   usual path until each worker's next heartbeat puts it back.
 * - The enqueue trigger does not fire for a hand-off's insert (which sets pgqueuer.handed_off):
 *   no other worker has anything to claim.
 */
export const handOff: Migration = {
  version: 8,
  name: 'hand-off',
  sql: (n: SchemaNames) => `
CREATE UNLOGGED TABLE ${n.idleWorkers} (
  worker_id   uuid PRIMARY KEY,
  -- The entrypoints it takes handed-off jobs of: those without limits (a limit is counted by
  -- the claim, under its lock).
  entrypoints text[]      NOT NULL,
  -- How many more jobs it takes; each hand-off takes one.
  slots       integer     NOT NULL CHECK (slots >= 0),
  -- A worker that stops heartbeating (crashed) gets nothing more after this.
  expires_at  timestamptz NOT NULL,
  -- Where its hand-offs are announced, and the key that proves one came from an enqueue: a
  -- notification carries the job's payload, and any role that may connect may LISTEN and
  -- NOTIFY on any channel. Neither is readable but by workers and producers.
  channel     text        NOT NULL,
  secret      text        NOT NULL
);

${schemaObject(n, 'jobs_notify_enqueued')}
`,
};
