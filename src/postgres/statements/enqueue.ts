import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import { DuplicateJobError } from '../../errors.js';
import type { EnqueueRow } from '../../port/rows.js';

/**
 * Inserts a whole batch in one statement. The batch travels as a single JSON parameter (fast
 * to build, no per-row parameters), and dedupe conflicts are found before inserting, so a
 * duplicate normally leaves the caller's transaction usable: nothing is written and
 * `DuplicateJobError` names the keys. (A concurrent racer can still trip the unique index;
 * that error is reported the same way.)
 */
export function enqueueQuery(n: SchemaNames) {
  const statement = prepared(
    'enqueue',
    `WITH input AS (
       SELECT t.e, t.p, t.d, t.h, t.k,
              coalesce(t.a, now() + make_interval(secs => coalesce(t.m, 0) / 1000.0)) AS run_at
       FROM json_to_recordset($1::json) AS t(e text, p integer, d jsonb, h jsonb, a timestamptz, m double precision, k text)
     ), duplicates AS (
       SELECT i.e, i.k FROM input AS i
       WHERE i.k IS NOT NULL AND EXISTS (SELECT 1 FROM ${n.jobs} AS j WHERE j.entrypoint = i.e AND j.dedupe_key = i.k)
       UNION
       SELECT e, k FROM input WHERE k IS NOT NULL GROUP BY e, k HAVING count(*) > 1
     ), inserted AS (
       INSERT INTO ${n.jobs} (entrypoint, priority, payload, headers, execute_after, dedupe_key, status)
       SELECT e, p, d, coalesce(h, '{}'::jsonb), run_at, k, CASE WHEN run_at > now() THEN 'scheduled' ELSE 'queued' END
       FROM input
       WHERE NOT EXISTS (SELECT 1 FROM duplicates)
       RETURNING id
     )
     SELECT id, NULL AS e, NULL AS k FROM inserted
     UNION ALL
     SELECT NULL, e, k FROM duplicates`,
  );

  // Most batches carry no dedupe key: they skip the duplicate search, one insert and no more.
  const plain = prepared(
    'enqueue_plain',
    `INSERT INTO ${n.jobs} (entrypoint, priority, payload, headers, execute_after, status)
     SELECT e, p, d, coalesce(h, '{}'::jsonb), run_at, CASE WHEN run_at > now() THEN 'scheduled' ELSE 'queued' END
     FROM (
       SELECT t.e, t.p, t.d, t.h, coalesce(t.a, now() + make_interval(secs => coalesce(t.m, 0) / 1000.0)) AS run_at
       FROM json_to_recordset($1::json) AS t(e text, p integer, d jsonb, h jsonb, a timestamptz, m double precision)
     ) AS input
     RETURNING id`,
  );

  // And one job, the latency path (a request enqueueing its one job): plain parameters.
  const one = prepared(
    'enqueue_one',
    `INSERT INTO ${n.jobs} (entrypoint, priority, payload, headers, execute_after, status)
     SELECT $1, $2, $3::jsonb, coalesce($4::jsonb, '{}'::jsonb), run_at, CASE WHEN run_at > now() THEN 'scheduled' ELSE 'queued' END
     FROM (SELECT coalesce($5::timestamptz, now() + make_interval(secs => coalesce($6::double precision, 0) / 1000.0)) AS run_at) AS t
     RETURNING id`,
  );

  return async (db: Queryable, rows: readonly EnqueueRow[]): Promise<number[]> => {
    if (rows.length === 0) return [];
    const keyed = rows.some((r) => r.dedupeKey !== null);
    if (rows.length === 1 && !keyed) {
      const r = rows[0]!;
      const [inserted] = await db.query<{ id: string }>(one, [r.entrypoint, r.priority, r.payload, r.headers, r.executeAt, r.delayMs]);
      return [Number(inserted!.id)];
    }
    const parts = rows.map(
      (r) =>
        `{"e":${JSON.stringify(r.entrypoint)},"p":${r.priority},"d":${r.payload},"h":${r.headers ?? 'null'},` +
        `"a":${r.executeAt === null ? 'null' : JSON.stringify(r.executeAt)},"m":${r.delayMs ?? 'null'},` +
        `"k":${r.dedupeKey === null ? 'null' : JSON.stringify(r.dedupeKey)}}`,
    );
    let result: Array<{ id: string | null; e: string | null; k: string | null }>;
    try {
      result = await db.query(keyed ? statement : plain, [`[${parts.join(',')}]`]);
    } catch (err) {
      throw duplicateFromUniqueViolation(err) ?? err;
    }
    const duplicates = result.filter((r) => r.id === null).map((r) => ({ entrypoint: r.e!, dedupeKey: r.k! }));
    if (duplicates.length > 0) throw new DuplicateJobError(duplicates);
    // Identity values are drawn in insertion order, so sorted ids line up with the input rows.
    return result.map((r) => Number(r.id)).sort((a, b) => a - b);
  };
}

function duplicateFromUniqueViolation(err: unknown): DuplicateJobError | undefined {
  const e = err as { code?: string; constraint?: string; detail?: string };
  if (e?.code !== '23505' || e.constraint !== 'jobs_dedupe_idx') return undefined;
  const match = /\(entrypoint, dedupe_key\)=\((.*?), (.*)\) already exists/.exec(e.detail ?? '');
  return new DuplicateJobError([{ entrypoint: match?.[1] ?? '?', dedupeKey: match?.[2] ?? '?' }]);
}
