import { watch, type FSWatcher } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { PgQueuerError } from '../src/errors.js';
import { resolveConfig } from './config.js';
import { generate, type GenerateOptions, type GenerateReport } from './generate.js';

export interface WatchControls {
  /** Quiet time after a change before regenerating: an editor's save is often several writes. */
  debounceMs?: number;
  /** Stops watching. */
  signal?: AbortSignal;
  /** Where reports go: a line for stdout, a line for stderr (the caller makes them printable). */
  print: (line: string) => void;
  printError: (line: string) => void;
}

/**
 * `pgq generate --watch`: generates, then again whenever the config, the schema file or a
 * project file it imports changes, saying which files and which jobs changed. A schema that
 * fails (a syntax error, a bad definition) is reported and the watch goes on, on the files it
 * knew, until a fix. Folders are watched rather than files: editors often save by writing a
 * new file and renaming it over the old one, which a watch on the file itself would lose.
 * Resolves when `signal` aborts.
 */
export async function watchGenerate(options: Omit<GenerateOptions, 'check'>, controls: WatchControls): Promise<void> {
  const cwd = options.cwd ?? process.cwd();
  const { debounceMs = 100, signal, print, printError } = controls;
  const shown = (path: string) => relative(cwd, path).replaceAll('\\', '/') || path;
  const watchers = new Map<string, FSWatcher>();
  let files = new Set<string>(await firstGuess(options, cwd));
  let previous: GenerateReport | undefined;
  let changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let announced = '';

  const follow = (next: Iterable<string>) => {
    files = new Set(next);
    const dirs = new Set([...files].map((f) => dirname(f)));
    for (const [dir, watcher] of watchers) {
      if (!dirs.has(dir)) {
        watcher.close();
        watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, (_event, name) => {
          const file = name ? resolve(dir, name.toString()) : undefined;
          if (file && !files.has(file)) return;
          changed.add(file ?? dir);
          clearTimeout(timer);
          timer = setTimeout(kick, debounceMs);
        });
        watcher.on('error', () => {
          watcher.close();
          watchers.delete(dir);
        });
        watchers.set(dir, watcher);
      } catch {
        // A folder that is gone (the schema's, renamed): the next run says what is missing.
      }
    }
    // Said again only when the set changes (the schema imports another file).
    const now = [...files].sort().join('\n');
    if (now !== announced) {
      announced = now;
      const list = [...files].map(shown);
      print(`watching ${list[0] ?? cwd}${list.length > 1 ? ` and ${list.length - 1} more file${list.length > 2 ? 's' : ''}` : ''} (Ctrl-C to stop)`);
    }
  };

  const run = async (): Promise<void> => {
    const started = performance.now();
    const because = [...changed];
    changed = new Set();
    if (because.length > 0) print(`changed: ${because.map(shown).join(', ')}`);
    try {
      const report = await generate({ ...options, cwd });
      for (const hint of report.hints) printError(`note: ${hint}`);
      for (const file of report.changed) print(`wrote ${file}`);
      for (const file of report.created) print(`created ${file}`);
      const jobs = previous ? jobChanges(previous.jobs, report.jobs) : '';
      if (report.changed.length === 0 && report.created.length === 0) print('generated files are up to date');
      if (previous) print(`${jobs || 'no job changed'} (${Math.round(performance.now() - started)} ms)`);
      previous = report;
      follow(report.inputs);
    } catch (err) {
      // The old files stay as they were; the fix will be noticed like any change.
      printError(`pgq: ${messageOf(err)}`);
      printError('still watching; fix the schema and save');
      if (!announced) follow(files);
    }
  };

  const kick = () => {
    if (running) {
      again = true;
      return;
    }
    running = run().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        kick();
      }
    });
  };

  kick();
  await running;
  await new Promise<void>((resolveStop) => {
    if (signal?.aborted) return resolveStop();
    signal?.addEventListener('abort', () => resolveStop(), { once: true });
  });
  clearTimeout(timer);
  for (const watcher of watchers.values()) watcher.close();
  await running;
}

/** Before the first run has said what the schema imports: the config file and the schema file. */
async function firstGuess(options: GenerateOptions, cwd: string): Promise<string[]> {
  try {
    const config = await resolveConfig(options, cwd);
    return [...(config.file ? [config.file] : []), config.schema];
  } catch {
    return [resolve(cwd, options.config ?? 'pgq.config.ts')];
  }
}

/** "jobs changed: a, b; added: c; removed: d", or '' when none did. */
export function jobChanges(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string {
  const added = [...after.keys()].filter((name) => !before.has(name));
  const removed = [...before.keys()].filter((name) => !after.has(name));
  const changed = [...after.keys()].filter((name) => before.has(name) && before.get(name) !== after.get(name));
  return [
    changed.length ? `jobs changed: ${changed.join(', ')}` : '',
    added.length ? `added: ${added.join(', ')}` : '',
    removed.length ? `removed: ${removed.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

/** One line, as `pgq` prints an error that ends a command. */
function messageOf(err: unknown): string {
  if (err instanceof PgQueuerError) return err.message;
  return err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : String(err);
}
