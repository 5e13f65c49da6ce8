import type { SchemaNames } from '../schema-names.js';

/**
 * notify_enqueued as migration 5 released it (its checksum is pinned): it wakes workers for
 * every inserted job but a blocked one. Migration 8 leaves out jobs handed to a worker.
 */
export function notifyEnqueuedV5(n: SchemaNames): string {
  return `CREATE OR REPLACE FUNCTION ${n.ident}.notify_enqueued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${n.channel}', json_build_object('t', 'enqueued', 'e', entrypoint, 'd', delay_ms)::text)
  FROM (
    SELECT entrypoint, greatest(0, ceil(extract(epoch FROM min(execute_after) - now()) * 1000)) AS delay_ms
    -- A blocked job is not runnable: its parents' completion wakes workers when it is.
    FROM new_jobs WHERE status <> 'blocked' GROUP BY entrypoint
  ) AS per_entrypoint;
  RETURN NULL;
END $$;`;
}
