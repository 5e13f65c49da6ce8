import { ConfigError } from '../errors.js';
import type { Driver } from './driver.js';
import type { SchemaNames } from './schema-names.js';
import { prepared } from './statement.js';

/** The three kinds of role pgqueuer knows, as `pgq grant` takes them. */
export interface GrantRoles {
  /** Runs jobs: reads and writes every table of the schema. */
  worker?: string;
  /**
   * Enqueues, cancels and waits for jobs: may insert jobs and read the status, result and error
   * of any job, but no payload or headers (the columns it may read are listed, not the tables).
   */
  producer?: string;
  /** Dashboards, `pgq jobs`, `pgq queue`: reads everything, changes nothing. */
  reader?: string;
}

/** A role name as an SQL identifier. */
export function quoteRole(role: string): string {
  return `"${role.replaceAll('"', '""')}"`;
}

const TABLES = ['jobs', 'job_log', 'workers', 'rate_limits', 'schedules', 'paused_entrypoints', 'dedupe_reservations', 'job_dependencies', 'job_group_cursors', 'idle_workers'] as const;

/**
 * The statements that give each role what it needs and no more. Idempotent (GRANT is), so it
 * is run again after `pgq upgrade` adds tables. Privileges a role had before are not revoked.
 */
export function grantStatements(n: SchemaNames, roles: GrantRoles): string[] {
  const named = Object.entries(roles).filter(([, role]) => role !== undefined);
  if (named.length === 0) throw new ConfigError('grant: name at least one role: worker, producer or reader');
  for (const [kind, role] of named) {
    if (!['worker', 'producer', 'reader'].includes(kind)) throw new ConfigError(`grant: unknown kind of role "${kind}" (worker, producer, reader)`);
    if (typeof role !== 'string' || role.length === 0 || role.length > 63 || role.includes('\u0000')) {
      throw new ConfigError(`grant: ${kind} must be a role name of 1 to 63 characters, got ${JSON.stringify(role)}`);
    }
  }
  const table = (name: (typeof TABLES)[number] | 'migrations') => `${n.ident}.${name}`;
  const statements: string[] = [];
  const usage = (role: string) => statements.push(`GRANT USAGE ON SCHEMA ${n.ident} TO ${role}`, `GRANT SELECT ON ${table('migrations')} TO ${role}`);
  if (roles.worker) {
    const role = quoteRole(roles.worker);
    usage(role);
    statements.push(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ${TABLES.map(table).join(', ')} TO ${role}`,
      `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${n.ident} TO ${role}`,
      `GRANT EXECUTE ON FUNCTION ${n.ident}.cancel_jobs(bigint[]) TO ${role}`,
      `GRANT EXECUTE ON FUNCTION ${n.ident}.enqueue_after(json) TO ${role}`,
    );
  }
  if (roles.producer) {
    const role = quoteRole(roles.producer);
    usage(role);
    statements.push(
      // Enqueue: the row, and what a dedupe check and `onConflict: 'replace'` read and change.
      `GRANT INSERT (id, entrypoint, priority, payload, headers, execute_after, dedupe_key, dedupe_window_ms, status) ON ${table('jobs')} TO ${role}`,
      // Hand-off (statements/hand-off.ts): one job inserted picked by an idle worker, which
      // gives up a slot; paused entrypoints and queued jobs keep it from happening.
      `GRANT INSERT (worker_id, attempts, heartbeat, picked_at) ON ${table('jobs')} TO ${role}`,
      `GRANT SELECT (worker_id, entrypoints, slots, expires_at, channel, secret), UPDATE (slots) ON ${table('idle_workers')} TO ${role}`,
      `GRANT SELECT (entrypoint) ON ${table('paused_entrypoints')} TO ${role}`,
      `GRANT UPDATE (payload, headers, priority, execute_after, status, updated_at) ON ${table('jobs')} TO ${role}`,
      // waitFor and the dedupe check: status, result and error; never payload or headers.
      `GRANT SELECT (id, entrypoint, dedupe_key, status, error) ON ${table('jobs')} TO ${role}`,
      `GRANT SELECT (id, job_id, status, result, error) ON ${table('job_log')} TO ${role}`,
      `GRANT SELECT (entrypoint, dedupe_key, job_id, expires_at) ON ${table('dedupe_reservations')} TO ${role}`,
      `GRANT USAGE ON ALL SEQUENCES IN SCHEMA ${n.ident} TO ${role}`,
      // Cancel copies a job's payload into the log: through a function that may read it.
      `GRANT EXECUTE ON FUNCTION ${n.ident}.cancel_jobs(bigint[]) TO ${role}`,
      // Jobs with parents lock and mark the parents: through a function that may.
      `GRANT EXECUTE ON FUNCTION ${n.ident}.enqueue_after(json) TO ${role}`,
    );
  }
  if (roles.reader) {
    const role = quoteRole(roles.reader);
    usage(role);
    // Not a waiting worker's channel and key: with them a reader could have workers run jobs.
    statements.push(
      `GRANT SELECT (worker_id, entrypoints, slots, expires_at) ON ${table('idle_workers')} TO ${role}`,
      `GRANT SELECT ON ${TABLES.filter((t) => t !== 'idle_workers').map(table).join(', ')} TO ${role}`,
    );
  }
  return statements;
}

const existingRoles = prepared('existing_roles', 'SELECT rolname FROM pg_roles WHERE rolname = ANY ($1::text[])');

/** Runs the grants in one transaction, once every role is known to exist. */
export async function applyGrants(driver: Driver, n: SchemaNames, roles: GrantRoles): Promise<string[]> {
  const statements = grantStatements(n, roles);
  const wanted = [...new Set(Object.values(roles).filter((r): r is string => typeof r === 'string'))];
  const found = new Set((await driver.query<{ rolname: string }>(existingRoles, [wanted])).map((r) => r.rolname));
  const missing = wanted.filter((r) => !found.has(r));
  if (missing.length > 0) throw new ConfigError(`grant: no role ${missing.map((r) => JSON.stringify(r)).join(', ')}: create it first (CREATE ROLE … LOGIN)`);
  await driver.transaction(async (tx) => {
    for (const text of statements) await tx.query({ name: '', text });
  });
  return statements;
}
