import { GROUP_HEADER } from '../../port/rows.js';

/**
 * A job's group as SQL: the `pgq-group` header, '' for none. The claim index is built on this
 * expression, and PostgreSQL uses an expression index only for the same expression, so every
 * query that walks it writes it through here. '' rather than NULL: `= ''` is an equality, so
 * the walk of ungrouped jobs stays ordered by the index (an `IS NULL` would make it sort).
 */
export function groupKey(alias?: string): string {
  return `coalesce(${alias ? `${alias}.` : ''}headers ->> '${GROUP_HEADER}', '')`;
}
