import { UnknownSchemaVersionError, ValidationError } from '../errors.js';
import type { JobDefinition } from './define-jobs.js';
import { fingerprint } from './json-schema.js';
import { parseWith } from './validate.js';
import { previousVersions, upcastFrom } from './versions.js';

/** Which of a job's payload versions a stored payload was read as. */
export type ReadVersion =
  /** The current schema: stamped with its fingerprint, or with none (hand-written SQL). */
  | { kind: 'current' }
  /** An entry of `previous` (0: the oldest), upcast to the current shape. */
  | { kind: 'previous'; index: number }
  /** A fingerprint this worker does not know, but the payload fits the current schema. */
  | { kind: 'unknown-fits' };

/**
 * A stored payload as the handler sees it: parsed with the schema of the version its
 * producer stamped, upcast to the current shape, then parsed with the current schema.
 *
 * Throws `ValidationError` when a payload does not fit the version it claims (or, without a
 * stamp, the current one): another attempt would not change that. Throws
 * `UnknownSchemaVersionError` when the stamp is one this worker does not know and the payload
 * does not fit its schema: a worker that knows the version may read it, so the job is given
 * back rather than failed.
 */
export function readStoredPayload(
  name: string,
  def: JobDefinition,
  stored: unknown,
  stamped: unknown,
  jobId?: number,
): { payload: unknown; version: ReadVersion } {
  const context = { entrypoint: name, what: 'payload' as const, ...(jobId === undefined ? {} : { jobId }) };
  const current = fingerprint(def);
  if (stamped === undefined || stamped === current) {
    return { payload: parseWith(def.payload!, stored, context), version: { kind: 'current' } };
  }
  const previous = previousVersions(def).find((v) => v.fingerprint === stamped);
  if (previous) {
    const parse = (schema: JobDefinition['payload'], value: unknown) => parseWith(schema!, value, context);
    const upcast = upcastFrom(def, previous.index, parse(previous.schema, stored), parse);
    return { payload: parse(def.payload, upcast), version: { kind: 'previous', index: previous.index } };
  }
  try {
    return { payload: parseWith(def.payload!, stored, context), version: { kind: 'unknown-fits' } };
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const known = [current, ...previousVersions(def).map((v) => v.fingerprint)];
    throw new UnknownSchemaVersionError(name, jobId, String(stamped), known, err.issues);
  }
}
