/**
 * How figures read on the pages: ages, durations, sizes, instants. One place so every page
 * shows the same quantity the same way.
 */

export function age(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 1) return '<1s';
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m ${Math.floor(seconds % 60)}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3_600)}h ${Math.floor((seconds % 3_600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3_600)}h`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1_000) return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** An instant in UTC, to the second: the same string whatever the viewer's timezone. */
export function instant(d: Date | null | undefined): string {
  if (!d) return '—';
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function count(n: number, capped = false): string {
  return `${n.toLocaleString('en-US')}${capped ? '+' : ''}`;
}

export function percent(part: number, whole: number): string {
  if (whole === 0) return '—';
  return `${((100 * part) / whole).toFixed(1)}%`;
}

/** The first line of an error message, for lists. */
export function firstLine(text: string | undefined, max = 200): string {
  const line = (text ?? '').split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** JSON indented for reading; undefined reads as "—". */
export function prettyJson(value: unknown): string {
  if (value === undefined) return '—';
  return JSON.stringify(value, null, 2) ?? String(value);
}
