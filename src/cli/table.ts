/** Formats rows as an aligned plain-text table (works over SSH and in logs). */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd())
    .join('\n');
}
