import type { SchemaNames } from '../schema-names.js';
import type { Migration } from './migration.js';

/**
 * Cron schedules. A worker fires a tick by advancing `next_run` from the value it read
 * (compare-and-set) in the same statement that enqueues the tick's job, so each tick is fired
 * by exactly one worker however many run the schedule.
 */
export const schedules: Migration = {
  version: 2,
  name: 'schedules',
  sql: (n: SchemaNames) => `
CREATE TABLE ${n.ident}.schedules (
  name         text        PRIMARY KEY,
  expression   text        NOT NULL,
  timezone     text        NOT NULL DEFAULT 'UTC',
  missed       text        NOT NULL DEFAULT 'once' CHECK (missed IN ('once', 'skip')),
  next_run     timestamptz NOT NULL,
  last_run     timestamptz,
  -- When a worker that has this schedule in its code last started: schedules removed from
  -- code stop firing, and their rows age here.
  registered_at timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
`,
};
