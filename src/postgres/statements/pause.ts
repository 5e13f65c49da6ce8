import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';

/**
 * Pausing is a row in paused_entrypoints, which every claim reads, and a notification, so
 * every worker lets go of what it claimed ahead at once (pause) or claims at once (resume).
 */
export function pauseQueries(n: SchemaNames) {
  const pause = prepared(
    'pause',
    `WITH paused AS (
       INSERT INTO ${n.paused} (entrypoint) VALUES ($1) ON CONFLICT (entrypoint) DO NOTHING RETURNING entrypoint
     )
     SELECT pg_notify('${n.channel}', json_build_object('t', 'paused', 'e', $1::text)::text), (SELECT count(*) FROM paused) AS n`,
  );
  const resume = prepared(
    'resume',
    `WITH resumed AS (
       DELETE FROM ${n.paused} WHERE entrypoint = $1 RETURNING entrypoint
     )
     SELECT pg_notify('${n.channel}', json_build_object('t', 'resumed', 'e', $1::text)::text), (SELECT count(*) FROM resumed) AS n`,
  );
  const list = prepared('paused_entrypoints', `SELECT entrypoint FROM ${n.paused} ORDER BY entrypoint`);
  return {
    pause: async (db: Queryable, entrypoint: string): Promise<void> => void (await db.query(pause, [entrypoint])),
    resume: async (db: Queryable, entrypoint: string): Promise<void> => void (await db.query(resume, [entrypoint])),
    list: async (db: Queryable): Promise<string[]> => (await db.query<{ entrypoint: string }>(list)).map((r) => r.entrypoint),
  };
}
