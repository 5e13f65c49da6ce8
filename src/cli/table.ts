import { cellWidth, padCells } from './cell-width.js';
import { printable } from './terminal-text.js';

/**
 * Formats rows as an aligned plain-text table (works over SSH and in logs). Every cell goes
 * through `printable`: cells hold names and messages from the database, and one control
 * character would break the alignment, or recolour the operator's terminal. Columns are
 * measured in terminal cells, so CJK text and emoji (two cells each) keep them aligned.
 */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))].map((r) => r.map(printable));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => cellWidth(r[i] ?? ''))));
  return cells
    .map((r) => r.map((c, i) => padCells(c ?? '', widths[i]!)).join('  ').trimEnd())
    .join('\n');
}
