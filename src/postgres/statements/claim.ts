import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import type { ClaimRequest, ClaimResult } from '../../port/rows.js';

interface JobRow {
  /** NULL: not a job, but an entrypoint held back by its rate limit (see claim_jobs). */
  id: string | null;
  entrypoint: string;
  priority: number;
  payload: unknown;
  headers: Record<string, unknown>;
  attempts: number;
  rescues: number;
  created_ms: number;
  cancel_requested: boolean;
  queued_ms: number;
}

/** One round trip: promote due deferred jobs, apply limits, claim (see claim_jobs in migration 1). */
export function claimQuery(n: SchemaNames) {
  const statement = prepared(
    'claim',
    `SELECT id, entrypoint, priority, payload, headers, attempts, rescues,
            extract(epoch FROM created_at)::double precision * 1000 AS created_ms, cancel_requested,
            greatest(0, extract(epoch FROM now() - execute_after) * 1000)::double precision AS queued_ms
     FROM ${n.ident}.claim_jobs($1, $2, $3, $4, $5, $6)`,
  );
  return async (db: Queryable, req: ClaimRequest): Promise<ClaimResult> => {
    const rows = await db.query<JobRow>(statement, [
      req.workerId,
      req.entrypoints.map((e) => e.name),
      req.entrypoints.map((e) => e.concurrencyLimit),
      req.entrypoints.map((e) => e.ratePerSecond),
      req.entrypoints.map((e) => e.burst),
      req.capacity,
    ]);
    const result: ClaimResult = { jobs: [], rateLimited: [] };
    for (const r of rows) {
      if (r.id === null) {
        result.rateLimited.push(r.entrypoint);
        continue;
      }
      result.jobs.push({
        id: Number(r.id),
        entrypoint: r.entrypoint,
        priority: r.priority,
        payload: r.payload,
        headers: r.headers,
        attempt: r.attempts,
        rescues: r.rescues,
        createdAtMs: r.created_ms,
        cancelRequested: r.cancel_requested,
        queuedMs: r.queued_ms,
      });
    }
    return result;
  };
}
