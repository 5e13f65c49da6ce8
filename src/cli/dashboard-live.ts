import type { DashboardSnapshot } from '../admin.js';
import { renderFrame } from './dashboard-frame.js';
import { TerminalScreen } from './terminal-screen.js';

export interface LiveDashboardOptions {
  intervalMs: number;
  staleAfterSeconds: number;
}

/**
 * Runs the full-screen dashboard until the user quits: reads a snapshot, draws it, waits
 * `intervalMs`, again. A refresh never overlaps the previous one (a slow database slows the
 * view down instead of piling up queries), and a failed refresh keeps the last good frame
 * with the error on top, so a database restart does not end the session.
 */
export async function runLiveDashboard(read: () => Promise<DashboardSnapshot>, options: LiveDashboardOptions): Promise<void> {
  let snapshot: DashboardSnapshot | undefined;
  let error: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> | undefined;
  let quitting = false;
  let quit!: () => void;
  const quitRequested = new Promise<void>((resolve) => (quit = resolve));

  const draw = (): void =>
    screen.draw(renderFrame(snapshot, { staleAfterSeconds: options.staleAfterSeconds, intervalMs: options.intervalMs, error }));
  const screen = new TerminalScreen(process.stdin, process.stdout, {
    quit: () => {
      quitting = true;
      quit();
    },
    resize: draw,
  });

  const refresh = async (): Promise<void> => {
    try {
      snapshot = await read();
      error = undefined;
    } catch (err) {
      error = (err as Error)?.message?.split('\n')[0] ?? String(err);
    }
    if (quitting) return;
    draw();
    timer = setTimeout(() => {
      refreshing = refresh();
    }, options.intervalMs);
  };

  screen.start();
  try {
    draw();
    refreshing = refresh();
    await quitRequested;
  } finally {
    clearTimeout(timer);
    screen.close();
  }
  // Let a query in flight finish before the caller closes the connections.
  await refreshing;
}
