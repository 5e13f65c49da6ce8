import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { FinalStatus, JobError } from '../../types.js';
import type { JobOutcome } from '../../port/rows.js';

/** Final outcomes from the log (the newest terminal entry per job) plus which ids are still live. */
export function outcomesQuery(n: SchemaNames) {
  const statement = prepared(
    'outcomes',
    `SELECT * FROM (
       SELECT DISTINCT ON (job_id) job_id AS id, status, result, error
       FROM ${n.log}
       WHERE job_id = ANY ($1::bigint[]) AND status IN ('successful', 'exception', 'canceled')
       ORDER BY job_id, id DESC
     ) AS finished
     UNION ALL
     SELECT id, 'live', NULL, NULL FROM ${n.jobs} WHERE id = ANY ($1::bigint[])`,
  );
  return async (db: Queryable, ids: readonly number[]): Promise<{ finished: JobOutcome[]; live: number[] }> => {
    const rows = await db.query<{ id: string; status: FinalStatus | 'live'; result: unknown; error: JobError | null }>(
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
