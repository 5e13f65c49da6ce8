import type { DashboardSnapshot } from '../admin.js';
import { formatTable } from './table.js';
import { formatInstant, formatSeconds, printable } from './terminal-text.js';

/** One line of a frame; the live screen may highlight by `style`, `--once` prints text only. */
export interface FrameLine {
  text: string;
  style: 'plain' | 'title' | 'alert';
}

export interface FrameOptions {
  /** Workers whose heartbeat is older are marked STALE. */
  staleAfterSeconds: number;
  /** Live view only: the refresh interval, shown in the header with the quit key. */
  intervalMs?: number;
  /** Live view only: why the latest refresh failed (the frame shows the last good snapshot). */
  error?: string;
}

const plain = (text: string): FrameLine => ({ text, style: 'plain' });
const title = (text: string): FrameLine => ({ text, style: 'title' });
const alert = (text: string): FrameLine => ({ text, style: 'alert' });

/** Lays out one dashboard frame as plain text lines (no width limit: the screen cuts them). */
export function renderFrame(snapshot: DashboardSnapshot | undefined, options: FrameOptions): FrameLine[] {
  const header = [`pgqueuer dashboard`, `schema ${snapshot?.schema ?? '?'}`];
  if (snapshot) header.push(formatInstant(snapshot.now));
  if (options.intervalMs !== undefined) header.push(`every ${options.intervalMs} ms`, 'q to quit');
  const lines: FrameLine[] = [title(header.join('  |  '))];
  if (options.error !== undefined) lines.push(alert(`refresh failed, retrying: ${printable(options.error)}`));
  if (!snapshot) return lines;
  lines.push(
    plain(''),
    ...queueSection(snapshot),
    plain(''),
    ...throughputSection(snapshot),
    plain(''),
    ...failureSection(snapshot),
    plain(''),
    ...workerSection(snapshot, options.staleAfterSeconds),
    plain(''),
    ...scheduleSection(snapshot),
  );
  return lines;
}

function queueSection(s: DashboardSnapshot): FrameLine[] {
  const lines = [title('QUEUE  live, held and blocked jobs per entrypoint and status')];
  if (s.depth.length === 0 && s.paused.length === 0) return [...lines, plain('  (no live jobs)')];
  const byEntrypoint = new Map<string, Record<string, { count: number; capped: boolean }>>();
  // A paused entrypoint is listed even with nothing waiting: the pause matters before its jobs come.
  for (const name of s.paused) byEntrypoint.set(name, {});
  for (const row of s.depth) {
    const counts = byEntrypoint.get(row.entrypoint) ?? {};
    counts[row.status] = { count: row.count, capped: row.capped };
    byEntrypoint.set(row.entrypoint, counts);
  }
  const cell = (c: { count: number; capped: boolean } | undefined): string => (c ? `${c.count}${c.capped ? '+' : ''}` : '0');
  const rows = [...byEntrypoint].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([entrypoint, counts]) => {
    const all = Object.values(counts);
    const total = all.reduce((sum, c) => sum + c.count, 0);
    const state = s.paused.includes(entrypoint) ? ['paused'] : s.paused.length > 0 ? [''] : [];
    return [printable(entrypoint), cell(counts.scheduled), cell(counts.queued), cell(counts.picked), cell(counts.held), cell(counts.blocked), `${total}${all.some((c) => c.capped) ? '+' : ''}`, ...state];
  });
  // The state column only when something is paused: most of the time it would be empty.
  const table = formatTable(['entrypoint', 'scheduled', 'queued', 'picked', 'held', 'blocked', 'total', ...(s.paused.length > 0 ? ['state'] : [])], rows);
  const out = [...lines, ...indent(table).map(plain)];
  if (s.depth.some((r) => r.capped)) out.push(plain(`  (counts stop at ${s.depthCap}: n+ means more)`));
  return out;
}

function throughputSection(s: DashboardSnapshot): FrameLine[] {
  const lines = [title(`THROUGHPUT  jobs finished in the last ${s.throughputWindowSeconds} s`)];
  if (s.throughput.length === 0) return [...lines, plain('  (nothing finished)')];
  const rows = s.throughput.map((t) => [printable(t.entrypoint), t.perSecond.toFixed(2), t.finished, t.failed]);
  return [...lines, ...indent(formatTable(['entrypoint', 'per second', 'finished', 'failed'], rows)).map(plain)];
}

function failureSection(s: DashboardSnapshot): FrameLine[] {
  const lines = [title('FAILURES  newest first')];
  if (s.failures.length === 0) return [...lines, plain(`  (none among the newest ${s.failureScan} log entries)`)];
  const rows = s.failures.map((f) => [
    f.jobId,
    printable(f.entrypoint),
    f.attempt,
    `${formatSeconds((s.now.getTime() - f.finishedAt.getTime()) / 1000)} ago`,
    printable(`${f.errorName}: ${f.errorMessage}`),
  ]);
  return [...lines, ...indent(formatTable(['job', 'entrypoint', 'attempt', 'finished', 'error'], rows)).map(plain)];
}

function workerSection(s: DashboardSnapshot, staleAfterSeconds: number): FrameLine[] {
  const shown = s.workerTotal > s.workers.length ? `, ${s.workers.length} shown` : '';
  const lines = [title(`WORKERS  ${s.workerTotal} registered${shown}; stale: no heartbeat for ${staleAfterSeconds} s`)];
  if (s.workers.length === 0) return [...lines, plain('  (no workers)')];
  const stale = s.workers.map((w) => w.heartbeatAgeSeconds > staleAfterSeconds);
  const rows = s.workers.map((w, i) => [
    // The first block of the uuid is enough to tell workers apart on one screen.
    w.id.slice(0, 8),
    printable(w.hostname),
    w.pid,
    `${formatSeconds(w.heartbeatAgeSeconds)} ago`,
    stale[i] ? 'STALE' : 'ok',
    printable(w.entrypoints.join(',')),
  ]);
  const [head, ...body] = indent(formatTable(['id', 'hostname', 'pid', 'heartbeat', 'state', 'entrypoints'], rows));
  return [...lines, plain(head!), ...body.map((text, i) => (stale[i] ? alert(text) : plain(text)))];
}

function scheduleSection(s: DashboardSnapshot): FrameLine[] {
  const shown = s.scheduleTotal > s.schedules.length ? `, ${s.schedules.length} shown` : '';
  const lines = [title(`SCHEDULES  ${s.scheduleTotal}${shown}, soonest first`)];
  if (s.schedules.length === 0) return [...lines, plain('  (no schedules)')];
  const rows = s.schedules.map((r) => {
    const due = (r.nextRun.getTime() - s.now.getTime()) / 1000;
    return [
      printable(r.name),
      printable(r.expression),
      printable(r.timezone),
      formatInstant(r.nextRun),
      due > 0 ? `in ${formatSeconds(due)}` : `due ${formatSeconds(-due)} ago`,
      r.lastRun ? formatInstant(r.lastRun) : '-',
    ];
  });
  return [...lines, ...indent(formatTable(['name', 'expression', 'timezone', 'next run', 'when', 'last run'], rows)).map(plain)];
}

function indent(table: string): string[] {
  return table.split('\n').map((line) => `  ${line}`);
}
