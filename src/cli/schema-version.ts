import { FINGERPRINT_HEADER } from '../schema/fingerprint-header.js';
import type { JobHeaders } from '../types.js';
import { printable } from './terminal-text.js';

/**
 * The payload schema version a job was written with: the fingerprint its producer stamped
 * (as `pgq schema check` and the manifest name it), or "-" for a job without one. In a table,
 * its first 8 digits: enough to tell the versions of one job apart.
 */
export function schemaVersion(headers: JobHeaders | null, short = false): string {
  const stamped = headers?.[FINGERPRINT_HEADER];
  if (typeof stamped !== 'string' || stamped === '') return '-';
  return printable(short ? stamped.slice(0, 8) : stamped);
}
