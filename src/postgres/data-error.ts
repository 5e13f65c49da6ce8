/**
 * Whether PostgreSQL refused a statement for the data it carried, by SQLSTATE class: 22 (data
 * exception: a value jsonb cannot hold, ...), 23 (a constraint), 54 (a program limit, such as
 * an over-long value). Sending the same data again fails again, unlike a lost connection, a
 * serialization failure or a lock timeout, which are worth retrying as they are.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}
