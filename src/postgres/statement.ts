import { createHash } from 'node:crypto';
import type { Statement } from './driver.js';

/**
 * A prepared statement. The name is derived from the text, so two schemas (or two versions of
 * a query) never collide in a connection's prepared-statement cache.
 */
export function prepared(label: string, text: string): Statement {
  const digest = createHash('sha1').update(text).digest('hex').slice(0, 12);
  return { name: `pgq_${label}_${digest}`, text };
}

/** A statement sent as is, unprepared: DDL, multi-statement scripts, one-off admin queries. */
export function unprepared(text: string): Statement {
  return { name: '', text };
}
