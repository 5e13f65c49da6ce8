import type { Queryable } from '../driver.js';
import { unprepared } from '../statement.js';

/** The object kinds whose privileges the server can be asked about by name. */
const CHECKS: Record<string, string> = {
  table: 'has_table_privilege',
  view: 'has_table_privilege',
  schema: 'has_schema_privilege',
  sequence: 'has_sequence_privilege',
  database: 'has_database_privilege',
};

/**
 * Which of `privileges` the session's role lacks on an object, and the role's name: asked
 * after a "permission denied", so the error can name exactly what to grant. Undefined when
 * the kind cannot be asked about.
 */
export async function missingPrivileges(
  db: Queryable,
  kind: string,
  object: string,
  privileges: readonly string[],
): Promise<{ role: string; missing: string[] } | undefined> {
  const check = CHECKS[kind];
  if (!check) return undefined;
  const [row] = await db.query<{ role: string; missing: string[] }>(
    unprepared(`SELECT current_user AS role, ARRAY(SELECT p FROM unnest($2::text[]) AS p WHERE NOT ${check}($1, p)) AS missing`),
    [object, privileges],
  );
  return row;
}
