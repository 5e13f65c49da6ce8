import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { MissedTickPolicy } from '../../types.js';
import type { FireTick, ScheduleRegistration, ScheduleRow } from '../../port/rows.js';
import { tickPayload } from '../../port/system-records.js';

/** The database clock, which every schedule decision is made against. */
export function databaseNowQuery(_n: SchemaNames) {
  const statement = prepared('db_now', 'SELECT clock_timestamp() AS now');
  return async (db: Queryable): Promise<Date> => (await db.query<{ now: Date }>(statement))[0]!.now;
}

export function registerSchedulesQuery(n: SchemaNames) {
  const statement = prepared(
    'register_schedules',
    `INSERT INTO ${n.schedules} AS s (name, expression, timezone, missed, next_run)
     SELECT name, expression, timezone, missed, next_run
     FROM json_to_recordset($1::json) AS t(name text, expression text, timezone text, missed text, next_run timestamptz)
     ON CONFLICT (name) DO UPDATE SET
       -- A schedule whose timing is unchanged keeps its next_run, so a tick missed while no
       -- worker ran is still seen (and handled by the missed-tick policy).
       next_run = CASE WHEN (s.expression, s.timezone) IS DISTINCT FROM (EXCLUDED.expression, EXCLUDED.timezone)
                       THEN EXCLUDED.next_run ELSE s.next_run END,
       expression = EXCLUDED.expression, timezone = EXCLUDED.timezone, missed = EXCLUDED.missed,
       registered_at = now(), updated_at = now()`,
  );
  return async (db: Queryable, schedules: readonly ScheduleRegistration[]): Promise<void> => {
    if (schedules.length === 0) return;
    const rows = schedules.map((s) => ({ ...s, next_run: s.nextRun.toISOString(), nextRun: undefined }));
    await db.query(statement, [JSON.stringify(rows)]);
  };
}

/** The schedules' state and the database time it was read at. */
export function readSchedulesQuery(n: SchemaNames) {
  const statement = prepared(
    'read_schedules',
    `SELECT name, expression, timezone, missed, next_run, last_run, registered_at, clock_timestamp() AS db_now
     FROM ${n.schedules} WHERE $1::text[] IS NULL OR name = ANY ($1::text[]) ORDER BY name`,
  );
  return async (db: Queryable, names: readonly string[] | null): Promise<{ rows: ScheduleRow[]; dbNow: Date }> => {
    const rows = await db.query<{
      name: string; expression: string; timezone: string; missed: MissedTickPolicy;
      next_run: Date; last_run: Date | null; registered_at: Date; db_now: Date;
    }>(statement, [names]);
    return {
      dbNow: rows[0]?.db_now ?? new Date(),
      rows: rows.map((r) => ({
        name: r.name, expression: r.expression, timezone: r.timezone, missed: r.missed,
        nextRun: r.next_run, lastRun: r.last_run, registeredAt: r.registered_at,
      })),
    };
  };
}

/**
 * Fires one tick: advances next_run only if it still holds the value this worker read and is
 * due (database time), and enqueues the tick's job in the same statement. Exactly one of any
 * number of racing workers gets a row back.
 */
export function fireTickQuery(n: SchemaNames) {
  const statement = prepared(
    'fire_tick',
    `WITH advanced AS (
       UPDATE ${n.schedules}
       SET next_run = $3, last_run = coalesce($4, last_run), updated_at = now()
       WHERE name = $1 AND next_run = $2 AND next_run <= clock_timestamp()
       RETURNING name
     ), fired AS (
       INSERT INTO ${n.jobs} (entrypoint, priority, payload)
       SELECT name, $5, $6::jsonb FROM advanced WHERE $4::timestamptz IS NOT NULL
       RETURNING id
     )
     SELECT (SELECT count(*)::integer FROM advanced) AS advanced, (SELECT id FROM fired) AS job_id`,
  );
  return async (db: Queryable, tick: FireTick): Promise<{ advanced: boolean; jobId: number | null }> => {
    const [row] = await db.query<{ advanced: number; job_id: string | null }>(statement, [
      tick.name,
      tick.expected,
      tick.next,
      tick.scheduledAt,
      tick.priority,
      tick.scheduledAt === null ? null : JSON.stringify(tickPayload(tick.scheduledAt)),
    ]);
    return { advanced: row!.advanced === 1, jobId: row!.job_id === null ? null : Number(row!.job_id) };
  };
}
