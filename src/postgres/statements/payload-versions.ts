import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { PayloadSample, PayloadSampleQuery, PayloadVersionCount, PayloadVersionQuery } from '../../port/rows.js';
import { FINGERPRINT_HEADER } from '../../schema/fingerprint-header.js';
import type { JobStatus } from '../../types.js';

/**
 * Waiting jobs by entrypoint, stamped fingerprint and status, for `pgq schema check`. Each
 * entrypoint reads at most `cap + 1` of its rows (a LATERAL with a LIMIT), so a queue of
 * millions costs a bounded walk; the extra row is not counted, it tells "exactly cap" from
 * "more". Running jobs
 * (`picked`) are left out: the workers that claimed them already read them.
 */
export function payloadVersionsQuery(n: SchemaNames) {
  const statement = prepared(
    'payload_versions',
    `SELECT e.name AS entrypoint, w.fingerprint, w.status, count(*) FILTER (WHERE w.rn <= $2)::integer AS n, bool_or(w.rn > $2) AS over
     FROM unnest($1::text[]) AS e(name)
     CROSS JOIN LATERAL (
       SELECT j.headers ->> '${FINGERPRINT_HEADER}' AS fingerprint, j.status, row_number() OVER () AS rn
       FROM ${n.jobs} AS j WHERE j.entrypoint = e.name AND j.status <> 'picked'
       LIMIT $2 + 1
     ) AS w
     GROUP BY e.name, w.fingerprint, w.status
     ORDER BY e.name, w.fingerprint NULLS FIRST, w.status`,
  );
  return async (db: Queryable, query: PayloadVersionQuery): Promise<{ counts: PayloadVersionCount[]; capped: string[] }> => {
    const rows = await db.query<{ entrypoint: string; fingerprint: string | null; status: JobStatus; n: number; over: boolean }>(statement, [query.entrypoints, query.countCap]);
    const capped = [...new Set(rows.filter((r) => r.over).map((r) => r.entrypoint))];
    return {
      counts: rows.filter((r) => r.n > 0).map((r) => ({ entrypoint: r.entrypoint, fingerprint: r.fingerprint, status: r.status, count: r.n })),
      capped,
    };
  };
}

/** Payloads of waiting jobs, up to `sample` per (entrypoint, fingerprint), oldest first. */
export function payloadSamplesQuery(n: SchemaNames) {
  const statement = prepared(
    'payload_samples',
    `SELECT s.id::double precision AS id, v.entrypoint, v.fingerprint, s.payload
     FROM unnest($1::text[], $2::text[]) AS v(entrypoint, fingerprint)
     CROSS JOIN LATERAL (
       SELECT j.id, j.payload FROM ${n.jobs} AS j
       WHERE j.entrypoint = v.entrypoint AND j.status <> 'picked'
         AND (j.headers ->> '${FINGERPRINT_HEADER}') IS NOT DISTINCT FROM v.fingerprint
       ORDER BY j.id LIMIT $3
     ) AS s
     ORDER BY v.entrypoint, s.id`,
  );
  return async (db: Queryable, query: PayloadSampleQuery): Promise<PayloadSample[]> => {
    if (query.versions.length === 0) return [];
    const rows = await db.query<PayloadSample>(statement, [query.versions.map((v) => v.entrypoint), query.versions.map((v) => v.fingerprint), query.sample]);
    return rows;
  };
}
