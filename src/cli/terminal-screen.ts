import type { FrameLine } from './dashboard-frame.js';
import { fitWidth } from './terminal-text.js';

const ESC = '\u001b[';
const ENTER_ALTERNATE_SCREEN = `${ESC}?1049h`;
const LEAVE_ALTERNATE_SCREEN = `${ESC}?1049l`;
const HIDE_CURSOR = `${ESC}?25l`;
const SHOW_CURSOR = `${ESC}?25h`;
const STYLES: Record<FrameLine['style'], [string, string]> = {
  plain: ['', ''],
  title: [`${ESC}1m`, `${ESC}0m`],
  alert: [`${ESC}1;31m`, `${ESC}0m`],
};

export interface ScreenEvents {
  /** q, Ctrl-C, Ctrl-D, or SIGINT / SIGTERM / SIGHUP (a closed SSH session). */
  quit(): void;
  resize(): void;
}

/**
 * A full-screen view on the alternate screen buffer, as `top` or `less` use: the user's
 * scrollback is untouched and comes back on close. Only plain text and standard escape
 * sequences are written, so it works in any terminal and over SSH.
 */
export class TerminalScreen {
  private open = false;
  private readonly onData = (chunk: string): void => {
    if (/[qQ\u0003\u0004]/.test(chunk)) this.events.quit();
  };
  private readonly onSignal = (): void => this.events.quit();
  private readonly onResize = (): void => this.events.resize();

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
    private readonly events: ScreenEvents,
  ) {}

  start(): void {
    this.open = true;
    this.output.write(ENTER_ALTERNATE_SCREEN + HIDE_CURSOR);
    this.output.on('resize', this.onResize);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, this.onSignal);
    if (this.input.isTTY) {
      // Raw mode: keys arrive one by one without Enter, and Ctrl-C arrives as a key (handled
      // above) instead of killing the process with the terminal left on the alternate screen.
      this.input.setRawMode(true);
      this.input.setEncoding('utf8');
      this.input.on('data', this.onData);
      this.input.resume();
    }
  }

  /**
   * Redraws in place. Each line is placed by absolute position and cleared first, so nothing
   * of a longer previous frame remains and the screen never scrolls; lines are cut to the
   * width (a wrapped line would push the frame down) and the frame to the height.
   */
  draw(lines: readonly FrameLine[]): void {
    if (!this.open) return;
    const width = this.output.columns || 80;
    const height = this.output.rows || 24;
    const shown = lines.slice(0, height);
    let out = '';
    shown.forEach((line, i) => {
      const [on, off] = STYLES[line.style];
      const text = fitWidth(line.text, width);
      out += `${ESC}${i + 1};1H${ESC}2K${text ? on + text + off : ''}`;
    });
    // Clearing below the last row would clear that row itself, so only when there is room.
    if (shown.length < height) out += `${ESC}${shown.length + 1};1H${ESC}J`;
    this.output.write(out);
  }

  /** Restores the terminal as it was. Safe to call more than once. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, this.onSignal);
    this.output.off('resize', this.onResize);
    if (this.input.isTTY) {
      this.input.off('data', this.onData);
      this.input.setRawMode(false);
      this.input.pause();
    }
    this.output.write(SHOW_CURSOR + LEAVE_ALTERNATE_SCREEN);
  }
}
