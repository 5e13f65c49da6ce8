import { ConfigError } from '../errors.js';

/**
 * The database names one pgqueuer installation uses. Everything lives in one schema, so two
 * applications can share a database by choosing different schema names; the NOTIFY channels
 * and advisory-lock namespace are derived from it so they stay apart too.
 */
export interface SchemaNames {
  readonly schema: string;
  /** Quoted schema identifier, for SQL text. */
  readonly ident: string;
  readonly jobs: string;
  readonly log: string;
  readonly workers: string;
  readonly rateLimits: string;
  readonly schedules: string;
  readonly paused: string;
  readonly dedupeReservations: string;
  /** Which jobs wait for which (EnqueueOptions.after). */
  readonly dependencies: string;
  /** Per group-limited entrypoint, the group its last claim served (whose turn is next). */
  readonly groupCursors: string;
  /** Workers waiting for work, which an enqueue may hand a job to directly (migration 8). */
  readonly idleWorkers: string;
  readonly migrations: string;
  /** Work notifications: jobs enqueued, cancellations. Workers listen here. */
  readonly channel: string;
  /** Completion notifications; only completion watchers listen here. */
  readonly doneChannel: string;
  /** First key of every advisory lock this installation takes. */
  readonly lockSpace: number;
}

const DEFAULT_SCHEMA = 'pgqueuer';

const VALID = /^[a-z_][a-z0-9_]{0,47}$/;

export function schemaNames(schema: string = DEFAULT_SCHEMA): SchemaNames {
  if (schema === 'public' || schema === 'information_schema' || schema.startsWith('pg_')) {
    // `pgq uninstall` drops the whole schema, so it must belong to pgqueuer alone.
    throw new ConfigError(`schema "${schema}" cannot hold pgqueuer: choose a schema of its own, such as "pgqueuer"`);
  }
  if (!VALID.test(schema)) {
    throw new ConfigError(
      `invalid schema name "${schema}": use lower-case letters, digits and underscores, starting with a letter or underscore, at most 48 characters`,
    );
  }
  const ident = `"${schema}"`;
  return {
    schema,
    ident,
    jobs: `${ident}.jobs`,
    log: `${ident}.job_log`,
    workers: `${ident}.workers`,
    rateLimits: `${ident}.rate_limits`,
    schedules: `${ident}.schedules`,
    paused: `${ident}.paused_entrypoints`,
    dedupeReservations: `${ident}.dedupe_reservations`,
    dependencies: `${ident}.job_dependencies`,
    groupCursors: `${ident}.job_group_cursors`,
    idleWorkers: `${ident}.idle_workers`,
    migrations: `${ident}.migrations`,
    channel: `pgq_${schema}`,
    doneChannel: `pgq_${schema}_done`,
    lockSpace: fnv1a32(`pgqueuer:${schema}`),
  };
}

/** A stable 32-bit signed hash, so JS and the SQL written at install time agree on lock keys. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}
