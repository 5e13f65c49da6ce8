import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { ClaimedJob, ClaimRequest, ClaimResult } from '../../port/rows.js';

/**
 * One round trip: promote due deferred jobs, apply limits, claim (see claim_jobs in migrations/objects.ts).
 * The columns come back named and typed as a `ClaimedJob`, so each row is used as it is
 * parsed, with no second object per job (ids as float8: exact up to 2^53). Times come from
 * date_part, which computes in float8; extract computes in numeric, a cost per job.
 */
export function claimQuery(n: SchemaNames) {
  const statement = prepared(
    'claim',
    `SELECT id::double precision AS id, entrypoint, priority, payload::text AS payload, headers, attempts AS attempt, rescues, snoozes,
            date_part('epoch', created_at) * 1000 AS "createdAtMs", cancel_requested AS "cancelRequested",
            greatest(0, date_part('epoch', now() - execute_after) * 1000) AS "queuedMs"
     FROM ${n.ident}.claim_jobs($1, $2, $3, $4, $5, $6, $7, $8)`,
  );
  return async (db: Queryable, req: ClaimRequest): Promise<ClaimResult> => {
    const rows = await db.query<ClaimedJob & { id: number | null }>(statement, [
      req.workerId,
      req.entrypoints.map((e) => e.name),
      req.entrypoints.map((e) => e.concurrencyLimit),
      req.entrypoints.map((e) => e.ratePerSecond),
      req.entrypoints.map((e) => e.burst),
      req.capacity,
      req.promote,
      req.entrypoints.map((e) => e.groupConcurrency),
    ]);
    // A row with a NULL id is not a job: it names an entrypoint held back by its rate limit.
    const rateLimited: string[] = [];
    let jobs = rows as ClaimedJob[];
    if (rows.some((r) => r.id === null)) {
      for (const r of rows) if (r.id === null) rateLimited.push(r.entrypoint);
      jobs = rows.filter((r): r is ClaimedJob => r.id !== null);
    }
    // Payloads arrive as text, parsed here: what pg's jsonb parser would do, and their size
    // comes for free.
    let payloadBytes = 0;
    for (const job of jobs) {
      // NULL for a row inserted by hand without one.
      const text = job.payload as string | null;
      if (text === null) continue;
      payloadBytes += text.length;
      job.payload = JSON.parse(text);
    }
    return { jobs, rateLimited, payloadBytes };
  };
}
