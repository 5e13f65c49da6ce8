import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';
import { DuplicateJobError, type DuplicateKey } from '../../errors.js';
import type { EnqueueRow } from '../../port/rows.js';

/**
 * Inserts a whole batch in one statement; the batch travels as a single JSON parameter (fast
 * to build, no per-row parameters). Three statements, by what the batch needs:
 * - one job without a dedupe key: plain parameters (the latency path);
 * - a batch without keys: one insert;
 * - a batch with keys: each key's holder is looked up first (a live job, or a finished one
 *   within its dedupe window) and each item follows its `onConflict`: `error` refuses the
 *   batch, `skip` returns the holder's id, `replace` updates a queued or scheduled holder. A
 *   refused batch writes nothing, so a caller's transaction stays usable.
 *
 * Under concurrency a holder can appear after the statement's snapshot: a `skip` or `replace`
 * item then neither inserts nor finds it, and is sent again on its own, which sees it. (An
 * `error` item racing that way trips the unique index, reported as the same DuplicateJobError.)
 */
export function enqueueQuery(n: SchemaNames) {
  const one = prepared(
    'enqueue_one',
    `INSERT INTO ${n.jobs} (entrypoint, priority, payload, headers, execute_after, status)
     SELECT $1, $2, $3::jsonb, coalesce($4::jsonb, '{}'::jsonb), run_at, CASE WHEN run_at > now() THEN 'scheduled' ELSE 'queued' END
     FROM (SELECT coalesce($5::timestamptz, now() + make_interval(secs => coalesce($6::double precision, 0) / 1000.0)) AS run_at) AS t
     RETURNING id`,
  );
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
  const keyed = prepared(
    'enqueue_keyed',
    `WITH input AS MATERIALIZED (
       SELECT t.*, coalesce(t.a, now() + make_interval(secs => coalesce(t.m, 0) / 1000.0)) AS run_at,
              -- Ids drawn up front, so each inserted row pairs with its item.
              nextval(pg_get_serial_sequence('${n.jobs}', 'id')) AS new_id
       FROM ROWS FROM (json_to_recordset($1::json)
         AS (e text, p integer, d jsonb, h jsonb, a timestamptz, m double precision, k text, c text, w double precision))
         WITH ORDINALITY AS t(e, p, d, h, a, m, k, c, w, n)
     ), holders AS (
       SELECT i.n, j.id AS job_id, j.status, 'live' AS kind
       FROM input AS i JOIN ${n.jobs} AS j ON j.entrypoint = i.e AND j.dedupe_key = i.k
       UNION ALL
       SELECT i.n, r.job_id, NULL, 'window'
       FROM input AS i JOIN ${n.dedupeReservations} AS r ON r.entrypoint = i.e AND r.dedupe_key = i.k AND r.expires_at > now()
     ), refused AS (
       SELECT i.e, i.k, CASE WHEN h.kind = 'window' THEN 'window' WHEN i.c = 'replace' THEN 'running' ELSE 'live' END AS reason
       FROM input AS i JOIN holders AS h ON h.n = i.n
       WHERE i.c = 'error' OR (i.c = 'replace' AND (h.kind = 'window' OR h.status NOT IN ('queued', 'scheduled')))
       UNION ALL
       SELECT e, k, 'batch' FROM input WHERE k IS NOT NULL GROUP BY e, k HAVING count(*) > 1
     ), fresh AS (
       SELECT * FROM input AS i
       WHERE NOT EXISTS (SELECT 1 FROM refused) AND NOT EXISTS (SELECT 1 FROM holders AS h WHERE h.n = i.n)
     ), inserted_strict AS (
       INSERT INTO ${n.jobs} (id, entrypoint, priority, payload, headers, execute_after, dedupe_key, dedupe_window_ms, status)
       SELECT new_id, e, p, d, coalesce(h, '{}'::jsonb), run_at, k, w, CASE WHEN run_at > now() THEN 'scheduled' ELSE 'queued' END
       FROM fresh WHERE k IS NULL OR c = 'error'
       RETURNING id
     ), inserted_lenient AS (
       INSERT INTO ${n.jobs} (id, entrypoint, priority, payload, headers, execute_after, dedupe_key, dedupe_window_ms, status)
       SELECT new_id, e, p, d, coalesce(h, '{}'::jsonb), run_at, k, w, CASE WHEN run_at > now() THEN 'scheduled' ELSE 'queued' END
       FROM fresh WHERE k IS NOT NULL AND c <> 'error'
       ON CONFLICT (entrypoint, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
       RETURNING id
     ), replaced AS (
       UPDATE ${n.jobs} AS j
       SET payload = i.d, headers = coalesce(i.h, '{}'::jsonb), priority = i.p, execute_after = i.run_at,
           status = CASE WHEN i.run_at > now() THEN 'scheduled' ELSE 'queued' END, updated_at = now()
       FROM input AS i JOIN holders AS h ON h.n = i.n AND h.kind = 'live'
       WHERE NOT EXISTS (SELECT 1 FROM refused) AND i.c = 'replace' AND j.id = h.job_id AND j.status IN ('queued', 'scheduled')
       RETURNING j.id, i.n
     )
     SELECT i.n,
            coalesce(
              (SELECT s.id FROM inserted_strict AS s WHERE s.id = i.new_id),
              (SELECT l.id FROM inserted_lenient AS l WHERE l.id = i.new_id),
              (SELECT r.id FROM replaced AS r WHERE r.n = i.n),
              CASE WHEN i.c = 'skip' THEN (SELECT h.job_id FROM holders AS h WHERE h.n = i.n LIMIT 1) END
            ) AS id,
            NULL AS e, NULL AS k, NULL AS reason
     FROM input AS i WHERE NOT EXISTS (SELECT 1 FROM refused)
     UNION ALL
     SELECT NULL, NULL, e, k, reason FROM refused
     ORDER BY 1`,
  );

  const writeKeyed = async (db: Queryable, rows: readonly EnqueueRow[]): Promise<Array<number | null>> => {
    let result: Array<{ n: string | null; id: string | null; e: string | null; k: string | null; reason: DuplicateKey['reason'] | null }>;
    try {
      result = await db.query(keyed, [keyedJson(rows)]);
    } catch (err) {
      throw duplicateFromUniqueViolation(err) ?? err;
    }
    const refused = result.filter((r) => r.n === null);
    if (refused.length > 0) {
      throw new DuplicateJobError(dedupeRefusals(refused.map((r) => ({ entrypoint: r.e!, dedupeKey: r.k!, reason: r.reason ?? 'live' }))));
    }
    return result.map((r) => (r.id === null ? null : Number(r.id)));
  };

  return async (db: Queryable, rows: readonly EnqueueRow[]): Promise<number[]> => {
    if (rows.length === 0) return [];
    if (!rows.some((r) => r.dedupeKey !== null)) {
      if (rows.length === 1) {
        const r = rows[0]!;
        const [inserted] = await db.query<{ id: string }>(one, [r.entrypoint, r.priority, r.payload, r.headers, r.executeAt, r.delayMs]);
        return [Number(inserted!.id)];
      }
      const inserted = await db.query<{ id: string }>(plain, [plainJson(rows)]);
      // Identity values are drawn in insertion order, so sorted ids line up with the input rows.
      return inserted.map((r) => Number(r.id)).sort((a, b) => a - b);
    }
    const ids = await writeKeyed(db, rows);
    // Items that met a holder committed after this statement's snapshot: once more, alone.
    for (let attempt = 0; ids.includes(null); attempt++) {
      const pending = ids.flatMap((id, i) => (id === null ? [i] : []));
      if (attempt === 5) throw new Error(`enqueue: dedupe keys kept changing hands (${pending.length} items); try again`);
      const again = await writeKeyed(db, pending.map((i) => rows[i]!));
      pending.forEach((i, j) => (ids[i] = again[j]!));
    }
    return ids as number[];
  };
}

function plainJson(rows: readonly EnqueueRow[]): string {
  const parts = rows.map(
    (r) =>
      `{"e":${JSON.stringify(r.entrypoint)},"p":${r.priority},"d":${r.payload},"h":${r.headers ?? 'null'},` +
      `"a":${r.executeAt === null ? 'null' : JSON.stringify(r.executeAt)},"m":${r.delayMs ?? 'null'}}`,
  );
  return `[${parts.join(',')}]`;
}

function keyedJson(rows: readonly EnqueueRow[]): string {
  const parts = rows.map(
    (r) =>
      `{"e":${JSON.stringify(r.entrypoint)},"p":${r.priority},"d":${r.payload},"h":${r.headers ?? 'null'},` +
      `"a":${r.executeAt === null ? 'null' : JSON.stringify(r.executeAt)},"m":${r.delayMs ?? 'null'},` +
      `"k":${r.dedupeKey === null ? 'null' : JSON.stringify(r.dedupeKey)},"c":"${r.onConflict}","w":${r.dedupeWindowMs ?? 'null'}}`,
  );
  return `[${parts.join(',')}]`;
}

const REASON_RANK: Record<NonNullable<DuplicateKey['reason']>, number> = { window: 0, running: 1, live: 2, batch: 3 };

/** Each refused key once, for its most telling reason (a holder before a repetition in the batch). */
function dedupeRefusals(refused: DuplicateKey[]): DuplicateKey[] {
  const seen = new Set<string>();
  return [...refused].sort((a, b) => REASON_RANK[a.reason ?? 'live'] - REASON_RANK[b.reason ?? 'live']).filter((d) => {
    const key = `${d.entrypoint}\u0000${d.dedupeKey}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function duplicateFromUniqueViolation(err: unknown): DuplicateJobError | undefined {
  const e = err as { code?: string; constraint?: string; detail?: string };
  if (e?.code !== '23505' || e.constraint !== 'jobs_dedupe_idx') return undefined;
  const match = /\(entrypoint, dedupe_key\)=\((.*?), (.*)\) already exists/.exec(e.detail ?? '');
  return new DuplicateJobError([{ entrypoint: match?.[1] ?? '?', dedupeKey: match?.[2] ?? '?', reason: 'live' }]);
}
