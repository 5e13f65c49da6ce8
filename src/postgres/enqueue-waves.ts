import type { EnqueueRow } from '../port/rows.js';

/** A run of consecutive rows written by one statement. */
export interface EnqueueWave {
  /** Index of the wave's first row in the whole call. */
  start: number;
  rows: EnqueueRow[];
  /** Its rows wait for parents (the enqueue_after function), or none does (the plain insert). */
  dependent: boolean;
}

/**
 * Splits one enqueue call into statements: rows with parents go through enqueue_after, the
 * rest through the plain insert, and a row whose parent is a row of the same call waits for
 * the statement that writes that parent (its id is known only then). A call without parents
 * is one wave.
 */
export function enqueueWaves(rows: readonly EnqueueRow[]): EnqueueWave[] {
  const waves: EnqueueWave[] = [];
  rows.forEach((row, i) => {
    const dependent = row.after !== null;
    const current = waves.at(-1);
    const needsEarlier = row.after?.some((link) => 'item' in link && link.item >= (current?.start ?? 0)) ?? false;
    if (current && current.dependent === dependent && !needsEarlier) current.rows.push(row);
    else waves.push({ start: i, rows: [row], dependent });
  });
  return waves;
}
