import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { FinalStatus, JobError } from '../../types.js';
import type { JobOutcome } from '../../port/rows.js';

/**
 * Final outcomes from the log (the newest terminal entry of each job no longer live), held
 * jobs with the error that held them, and which ids are still live.
 */
export function outcomesQuery(n: SchemaNames) {
  const statement = prepared(
    'outcomes',
    `SELECT id, CASE WHEN status = 'held' THEN 'held' ELSE 'live' END AS status, NULL::jsonb AS result, error
     FROM ${n.jobs} WHERE id = ANY ($1::bigint[])
     UNION ALL
     SELECT * FROM (
       SELECT DISTINCT ON (job_id) job_id AS id, status, result, error
       FROM ${n.log} AS l
       -- A held job that was requeued has its failed attempt in the log, yet lives on.
       WHERE job_id = ANY ($1::bigint[]) AND status IN ('successful', 'exception', 'canceled')
         AND NOT EXISTS (SELECT 1 FROM ${n.jobs} AS j WHERE j.id = l.job_id)
       ORDER BY l.job_id, l.id DESC -- l.id: the bare "id" would name the job_id alias
     ) AS finished`,
  );
  return async (db: Queryable, ids: readonly number[]): Promise<{ finished: JobOutcome[]; live: number[] }> => {
    const rows = await db.query<{ id: string; status: FinalStatus | 'held' | 'live'; result: unknown; error: JobError | null }>(
      statement,
      [ids],
    );
    const finished: JobOutcome[] = [];
    const live: number[] = [];
    for (const r of rows) {
      if (r.status === 'live') live.push(Number(r.id));
      else {
        const outcome: JobOutcome = { id: Number(r.id), status: r.status };
        if (r.result !== null) outcome.result = r.result;
        if (r.error !== null) outcome.error = r.error;
        finished.push(outcome);
      }
    }
    return { finished, live };
  };
}
