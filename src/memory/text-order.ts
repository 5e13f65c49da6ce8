/** Names in the order listings sort them (as PostgreSQL's ORDER BY on text, near enough). */
export function compareText(a: string, b: string): number {
  return a.localeCompare(b);
}
