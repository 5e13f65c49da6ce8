import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { deferred } from './wait.js';

export interface Child {
  process: ChildProcess;
  lines: string[];
  /** Resolves with the first line matching `pattern` (already printed or still to come). */
  line(pattern: RegExp): Promise<string>;
  /** Resolves when `count` lines match `pattern`. */
  lines_(pattern: RegExp, count: number): Promise<string[]>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a TypeScript file in a child node process (through tsx) and follows its stdout lines. */
export function spawnTs(file: string, env: Record<string, string>): Child {
  return follow(spawn(process.execPath, ['--import', 'tsx', file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] }));
}

/**
 * Runs a command as a user would in a terminal (`npx pgq dev` in an app folder) and follows
 * its stdout and stderr lines together: CLI commands report progress on stderr.
 */
export function spawnCommand(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Child {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const followed = follow(child);
  createInterface({ input: child.stderr! }).on('line', followed.push);
  return followed;
}

function follow(child: ChildProcess): Child & { push: (line: string) => void } {
  const lines: string[] = [];
  const watchers: Array<{ pattern: RegExp; count: number; resolve: (l: string[]) => void }> = [];
  const check = (): void => {
    for (const w of [...watchers]) {
      const matching = lines.filter((l) => w.pattern.test(l));
      if (matching.length >= w.count) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(matching);
      }
    }
  };
  const push = (line: string): void => {
    lines.push(line);
    check();
  };
  createInterface({ input: child.stdout! }).on('line', push);
  const exited = deferred<{ code: number | null; signal: NodeJS.Signals | null }>();
  child.on('exit', (code, signal) => exited.resolve({ code, signal }));
  const wait = (pattern: RegExp, count: number): Promise<string[]> =>
    new Promise((resolve) => {
      watchers.push({ pattern, count, resolve });
      check();
    });
  return {
    process: child,
    lines,
    line: async (pattern) => (await wait(pattern, 1))[0]!,
    lines_: wait,
    exited: exited.promise,
    push,
  };
}
