import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { until } from './wait.js';

const run = promisify(execFile);

/**
 * A program running in a real terminal (a detached tmux session), to test full-screen views
 * the way a user sees them. Each session gets a private tmux server (its own socket, no
 * config file), so tests never touch the user's tmux or each other.
 */
export interface TerminalSession {
  /** The screen as text, one line per row. */
  screen(): Promise<string>;
  /** Polls the screen until `check` accepts it; fails with `what` and the last screen. */
  waitForScreen(check: (screen: string) => boolean, ms: number, what: string): Promise<string>;
  /** Sends keys as tmux names them: 'q', 'C-c', 'Enter'. */
  sendKeys(...keys: string[]): Promise<void>;
  /**
   * Resolves with the exit status once the program ended. The status is printed on the normal
   * screen after it, so the screen then shows whatever the program left there, plus that line.
   */
  exited(ms: number): Promise<number>;
  /** Ends the session and its private server; safe to call at any time. */
  kill(): Promise<void>;
}

/** Fails with an actionable message when tmux is missing (CI installs it). */
export function assertTmuxInstalled(): void {
  const probe = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('tmux is required for the live dashboard test but is not installed: install it (e.g. `apt-get install tmux`, `brew install tmux`)');
  }
}

/** Starts `argv` in a terminal of `width` × `height`, in `cwd`, with `env` added. */
export async function startInTerminal(
  argv: readonly string[],
  options: { width: number; height: number; cwd: string; env: Record<string, string> },
): Promise<TerminalSession> {
  assertTmuxInstalled();
  const socket = `pgq-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const session = 'main';
  const tmux = async (...args: string[]): Promise<string> => (await run('tmux', ['-f', '/dev/null', '-L', socket, ...args])).stdout;
  const env = Object.entries(options.env).map(([k, v]) => `${k}=${v}`);
  // After the program, print its status and keep the pane open (cat waits on the terminal):
  // tmux's own remain-on-exit loses the exit status and the screen now and then.
  const wrapper = '"$@"; echo "[exit $?]"; exec cat';
  const command = ['sh', '-c', wrapper, 'sh', 'env', ...env, ...argv].map(shellQuote).join(' ');
  await tmux('new-session', '-d', '-s', session, '-x', String(options.width), '-y', String(options.height), '-c', options.cwd, command);
  let last = '';
  const screen = async (): Promise<string> => (last = await tmux('capture-pane', '-p', '-t', session));
  const waitForScreen = async (check: (screen: string) => boolean, ms: number, what: string): Promise<string> => {
    try {
      return await until(async () => {
        const text = await screen();
        return check(text) ? text : undefined;
      }, ms, what);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- last screen ---\n${last}`);
    }
  };
  return {
    screen,
    waitForScreen,
    async sendKeys(...keys) {
      await tmux('send-keys', '-t', session, ...keys);
    },
    async exited(ms) {
      const screen = await waitForScreen((text) => /\[exit \d+\]/.test(text), ms, 'the program to exit');
      return Number(/\[exit (\d+)\]/.exec(screen)![1]);
    },
    async kill() {
      await tmux('kill-server').catch(() => {});
    },
  };
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
