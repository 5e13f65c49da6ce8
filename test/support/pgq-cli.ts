import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pgqBundle } from './bundle.js';

/** The CLI entry point, run from source through tsx. */
export const pgqMain = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `pgq <args>` against `databaseUrl` (and the default schema unless `env` says otherwise),
 * from source as bundled by bundle.ts: a third of the CPU of a run through tsx.
 */
export async function runPgq(databaseUrl: string, args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const main = await pgqBundle();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl, PGQ_SCHEMA: undefined, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

export interface FollowedPgq {
  child: ReturnType<typeof spawn>;
  exited: Promise<number>;
  stderr(): string;
  /**
   * Resolves once stderr matched `pattern` `count` times (a global copy of it is counted).
   * Rejects at once if the process exits first, with what it printed.
   */
  waitFor(pattern: RegExp, count?: number): Promise<void>;
}

/**
 * `pgq <args>` as a long-running child process (a worker, `pgq dev`), following its stderr.
 * Through tsx, from src/cli/main.ts: its children get the same loader, as a user's would who
 * runs pgq from TypeScript.
 */
export function followPgq(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): FollowedPgq {
  const child = spawn(process.execPath, ['--import', 'tsx', pgqMain, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env } });
  let stderr = '';
  const matches = (pattern: RegExp): number => stderr.match(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`))?.length ?? 0;
  const waiters: Array<{ pattern: RegExp; count: number; resolve: () => void }> = [];
  child.stderr!.on('data', (d) => {
    stderr += d;
    for (const w of [...waiters]) {
      if (matches(w.pattern) >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  child.stdout!.resume();
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  const died = exited.then((code) => {
    throw new Error(`pgq ${args.join(' ')} exited with ${code} before the expected output:\n${stderr}`);
  });
  died.catch(() => {});
  return {
    child,
    exited,
    stderr: () => stderr,
    waitFor: (pattern, count = 1) =>
      matches(pattern) >= count ? Promise.resolve() : Promise.race([died, new Promise<void>((resolve) => waiters.push({ pattern, count, resolve }))]),
  };
}
