import { PrivilegeError, type MissingPrivilege } from '../errors.js';
import type { Queryable, Statement } from './driver.js';
import { missingPrivileges } from './statements/missing-privileges.js';

/** PostgreSQL's insufficient_privilege. */
export const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * Turns a "permission denied for table jobs" into a `PrivilegeError` that says what to grant.
 * The server names the object (without its schema) but not the privilege, so both come from
 * the statement that was refused (`INSERT INTO "pgqueuer".jobs` needs INSERT on
 * pgqueuer.jobs), narrowed, when a usable session is at hand, to what the role really lacks.
 */
export async function privilegeError(
  err: Error,
  context: { statement?: Statement; connecting: boolean; role?: string; session?: Queryable },
): Promise<PrivilegeError> {
  const denied = /^permission denied for (.+) (\S+)$/.exec(err.message);
  const kind = denied?.[1] ?? 'object';
  const name = denied?.[2] ?? 'unknown';
  const text = context.statement?.text ?? '';
  const object = kind === 'schema' || kind === 'database' ? name : qualified(name, text);
  let privileges = neededPrivileges(kind, name, text, context.connecting);
  let role = context.role;
  if (context.session && privileges.length > 0) {
    try {
      const answer = await missingPrivileges(context.session, kind, object, privileges);
      if (answer) {
        role = answer.role;
        if (answer.missing.length > 0) privileges = answer.missing;
      }
    } catch {
      // Only a better message was at stake: keep what the statement tells.
    }
  }
  const missing: MissingPrivilege = { kind, object, privileges, grant: grantStatement(kind, object, privileges, role) };
  if (role !== undefined) missing.role = role;
  return new PrivilegeError(err.message, missing, { cause: err });
}

/** The object with the schema the statement names it with: every pgqueuer statement qualifies its tables. */
function qualified(name: string, text: string): string {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const own = new RegExp(`"?([a-z_][a-z0-9_$]*)"?\\."?${escaped}"?\\b`).exec(text);
  // Not in the text (a trigger's table): pgqueuer's statements use one schema, so it is that one.
  const schema = own?.[1] ?? /"([a-z_][a-z0-9_$]*)"\./.exec(text)?.[1];
  return schema ? `${schema}.${name}` : name;
}

const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

/** What the statement does with the object, as privileges. */
function neededPrivileges(kind: string, name: string, text: string, connecting: boolean): string[] {
  if (kind === 'schema') return ['USAGE'];
  if (kind === 'sequence') return ['USAGE'];
  if (kind === 'function' || kind === 'procedure') return ['EXECUTE'];
  if (kind === 'database') return [connecting ? 'CONNECT' : 'CREATE'];
  if (kind !== 'table' && kind !== 'view') return [];
  const target = `"?[a-z_][a-z0-9_$]*"?\\."?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?\\b`;
  const uses = (verb: string) => new RegExp(`${verb}\\s+${target}`, 'i').test(text);
  const needed = new Set<string>();
  if (uses('INSERT\\s+INTO')) needed.add('INSERT');
  if (uses('UPDATE')) needed.add('UPDATE');
  if (uses('DELETE\\s+FROM')) needed.add('DELETE');
  // Reading it, or RETURNING / WHERE on a row written: both need SELECT.
  if (uses('(?:FROM|JOIN)') || (needed.size > 0 && /\b(RETURNING|WHERE)\b/i.test(text))) needed.add('SELECT');
  // Not in the text (a trigger's table): the server is asked which of them are missing.
  return needed.size > 0 ? TABLE_PRIVILEGES.filter((p) => needed.has(p)) : TABLE_PRIVILEGES;
}

function grantStatement(kind: string, object: string, privileges: readonly string[], role: string | undefined): string | undefined {
  if (privileges.length === 0 || object === 'unknown') return undefined;
  // Tables take no keyword; other objects name their kind (a function without its argument
  // list, which PostgreSQL accepts for a name that is not overloaded).
  const on = kind === 'table' || kind === 'view' ? object : `${kind} ${object}`;
  return `grant ${privileges.join(', ')} on ${on} to ${role ? roleIdentifier(role) : '<role>'}`;
}

function roleIdentifier(role: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(role) ? role : `"${role.replace(/"/g, '""')}"`;
}
