import { truncateCells } from './cell-width.js';

/**
 * Text that is safe and fits on a terminal. Entrypoint names, hostnames and above all error
 * messages come from users' code; printed raw, an escape sequence in one could recolour,
 * move or retitle the operator's terminal, so every control character is replaced.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

/**
 * One message line (an error, a notice naming the user's input): like `printable`, but each
 * control character, newlines included, is shown escaped (`\n`, `\r`, `\x1b`) rather than
 * blanked, so an error about a bad value shows what was wrong with it (a stray `\r` from a
 * Windows-edited .env) and a name with a newline in it stays on its line.
 */
export function visibleControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => CONTROL_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `visibleControls` for text meant to span lines (usage errors, a stack): its newlines stay. */
export function visibleLines(text: string): string {
  return text.split('\n').map(visibleControls).join('\n');
}

const CONTROL_ESCAPES: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

/** Cuts a line to `width` terminal cells, between graphemes (see cell-width.ts). */
export function fitWidth(line: string, width: number | undefined): string {
  if (width === undefined || width <= 0) return line;
  return truncateCells(line, width);
}

/** A short human age or delay: 0.4s, 12s, 3m 05s, 5h 03m, 2d 04h. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.floor(s)}s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 3_600) return `${Math.floor(s / 60)}m ${pad(Math.floor(s % 60))}s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)}h ${pad(Math.floor((s % 3_600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d ${pad(Math.floor((s % 86_400) / 3_600))}h`;
}

/** A timestamp to the second, in UTC: 2026-05-03 12:00:07Z. */
export function formatInstant(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}
