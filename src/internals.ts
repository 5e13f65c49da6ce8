import { ConfigError } from './errors.js';
import type { PayloadCheck } from './encode.js';
import type { QueueBackend } from './port/queue-backend.js';
import type { Queryable } from './postgres/driver.js';
import type { SchemaNames } from './postgres/schema-names.js';

/**
 * What pgqueuer's own modules (the bound schema, pgqueuer/testing) need of a PgQueuer beyond
 * its public API. Kept off the class, in a table only this package reads, so none of it
 * shows up in a user's autocomplete.
 */
export interface Internals {
  /** Validate and encode every payload enqueued to `entrypoint` (a bound schema's check). */
  setPayloadCheck(entrypoint: string, check: PayloadCheck): void;
  /** A job's schema fingerprint differed from this worker's. */
  noteFingerprintMismatch(entrypoint: string): void;
  /**
   * True when this worker holds nothing and no job of its entrypoints, and no tick of its
   * schedules, is runnable now (pgqueuer/testing's drain()).
   */
  isDrained(): Promise<boolean>;
  /** What `pgq schema check` reads of the waiting jobs (see the port). */
  payloadVersions: QueueBackend['payloadVersions'];
  payloadSamples: QueueBackend['payloadSamples'];
  /**
   * The PostgreSQL connection and schema behind this instance (null in memory), for the
   * operator's reads that go beyond the queue API (pgqueuer/web's statistics).
   */
  postgres(): { db: Queryable; names: SchemaNames } | null;
}

const table = new WeakMap<object, Internals>();

export function attachInternals(pgq: object, internals: Internals): void {
  table.set(pgq, internals);
}

export function internalsOf(pgq: object): Internals {
  const internals = table.get(pgq);
  if (!internals) throw new ConfigError('expected a PgQueuer instance (from PgQueuer.connect(), fromPool() or inMemory())');
  return internals;
}
