import type { Queryable } from '../driver.js';
import type { SchemaNames } from '../schema-names.js';
import { prepared } from '../statement.js';

/**
 * SQL fragments that publish notifications from inside a statement. NOTIFY payloads are capped
 * at 8,000 bytes, so id lists go out in chunks of 200 (at most ~4 KB each).
 */
const IDS_PER_NOTIFICATION = 200;

/** Selects one pg_notify per chunk of `idColumn` values from `source`. */
export function notifyIdsInChunks(channel: string, type: string, source: string, idColumn: string): string {
  return `SELECT pg_notify('${channel}', json_build_object('t', '${type}', 'ids', json_agg(id))::text)
          FROM (SELECT ${idColumn} AS id, (row_number() OVER () - 1) / ${IDS_PER_NOTIFICATION} AS chunk FROM ${source}) AS numbered
          GROUP BY chunk`;
}

/** Selects one pg_notify per entrypoint in `source`, telling workers jobs are due in `delayExpr` ms. */
export function notifyEnqueued(channel: string, source: string, delayExpr = '0'): string {
  return `SELECT pg_notify('${channel}', json_build_object('t', 'enqueued', 'e', entrypoint, 'd', ${delayExpr})::text)
          FROM ${source} GROUP BY entrypoint`;
}

/**
 * A listener's probe of its own notifications: a NOTIFY on the work (or completions) channel
 * that its listener should hear back. Behind a transaction pooler the LISTEN succeeds but hears nothing.
 */
export function notifyProbeQuery(n: SchemaNames) {
  const probe = prepared('notify_probe', `SELECT pg_notify('${n.channel}', json_build_object('t', 'probe', 'w', $1::text)::text)`);
  const probeDone = prepared('notify_probe_done', `SELECT pg_notify('${n.doneChannel}', json_build_object('t', 'probe', 'w', $1::text)::text)`);
  return {
    work: async (db: Queryable, token: string): Promise<void> => void (await db.query(probe, [token])),
    completions: async (db: Queryable, token: string): Promise<void> => void (await db.query(probeDone, [token])),
  };
}
