import { existsSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import type { CliStatus } from './log-level.js';
import { SourceWatcher } from './source-watcher.js';
import { WorkerSupervisor, type WorkerCommand } from './worker-supervisor.js';

/** Long enough to take a save, or a `pgq generate` writing several files, as one change. */
const DEBOUNCE_MS = 200;
/**
 * What a dev worker is made of: its module's folder (where its imports live), the schema file
 * and pgq's config. The generator's config module is loaded here, not at startup: `pgq run`
 * shares this file's imports and must not load the generator.
 */
async function watchedSources(modulePath: string, cwd: string): Promise<{ folders: string[]; files: string[]; configNames: string[] }> {
  const { CONFIG_NAMES, resolveConfig } = await import('../../codegen/config.js');
  const files = [resolve(modulePath)];
  const config = CONFIG_NAMES.map((name) => resolve(cwd, name)).find((path) => existsSync(path));
  if (config) files.push(config);
  try {
    // The schema file may live outside the worker's folder; pgq.config.ts says where.
    files.push((await resolveConfig({}, cwd)).schema);
  } catch {
    // A config that does not load yet is the user's work in progress: the default place, then.
    files.push(resolve(cwd, 'src/jobs.schema.ts'));
  }
  return { folders: [dirname(resolve(modulePath))], files, configNames: CONFIG_NAMES };
}

/**
 * `pgq dev`'s reload loop: runs the worker as a child process, restarts it when its sources
 * change, and on SIGINT/SIGTERM stops it gracefully (a second signal hurries it). Resolves
 * once the worker is gone; the database `pgq dev` started stays up throughout.
 */
export async function runWithReload(modulePath: string, command: WorkerCommand, status: CliStatus): Promise<void> {
  const cwd = process.cwd();
  const supervisor = new WorkerSupervisor(command, status);
  let stopped = false;
  let watcher: SourceWatcher | undefined;
  let shown = '';
  // pgq.config.ts says where the schema file is: when it changes, what is watched may too.
  const watch = async (): Promise<void> => {
    const { configNames, ...sources } = await watchedSources(modulePath, cwd);
    if (stopped) return;
    watcher?.close();
    watcher = new SourceWatcher({
      ...sources,
      debounceMs: DEBOUNCE_MS,
      changed: (paths) => {
        status.info(`pgq: ${paths.map((p) => relative(cwd, p) || '.').join(', ')} changed; restarting the worker`);
        void supervisor.restart();
        if (paths.some((p) => configNames.includes(basename(p)))) void watch();
      },
    });
    const outside = sources.files.filter((f) => !sources.folders.some((d) => f.startsWith(`${d}/`)));
    const now = [...sources.folders.map((f) => `${relative(cwd, f) || '.'}/`), ...outside.map((f) => relative(cwd, f))].join(', ');
    if (now !== shown) status.info(`pgq: watching ${now}; the worker restarts on changes (--no-watch turns this off)`);
    shown = now;
  };
  await watch();
  supervisor.start();
  let onSignal: () => void = () => {};
  try {
    await new Promise<void>((resolveStopped) => {
      let signals = 0;
      onSignal = () => {
        if (++signals > 1) return supervisor.hurry();
        stopped = true;
        watcher?.close();
        void supervisor.stop().then(resolveStopped);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
  } finally {
    stopped = true;
    watcher?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
