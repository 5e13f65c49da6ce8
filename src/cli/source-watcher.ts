import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** Folders never watched inside a watched tree: dependencies, build output, pgq's own data. */
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'build', 'coverage']);
/** What a worker is made of; editor swap files, logs and the like change without meaning anything. */
const SOURCE_FILE = /\.(?:[cm]?[jt]sx?|json)$/;

export interface SourceWatcherOptions {
  /** Watched with every source file under them (dot folders, node_modules and build output left out). */
  folders: string[];
  /** Watched one by one, whatever their extension. */
  files: string[];
  /** Quiet time after the last change before `changed` is called: a save or a `pgq generate` touches several files. */
  debounceMs: number;
  /** A burst of changes settled: the paths that changed in it. */
  changed(paths: string[]): void;
}

interface WatchedFolder {
  watcher: FSWatcher;
  /** Part of a watched tree: every source file in it counts, and new subfolders are watched too. */
  tree: boolean;
  /** Single files of this folder that count. */
  names: Set<string>;
}

/**
 * Watches a worker's source files and reports each burst of changes once. Each folder is
 * watched on its own (not with fs.watch's `recursive`, which would also watch node_modules
 * when the worker sits at the project root), and single files through their folder: editors
 * often save by writing a new file and renaming it over the old one, which a watch on the
 * file itself does not survive.
 */
export class SourceWatcher {
  private readonly folders = new Map<string, WatchedFolder>();
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: SourceWatcherOptions) {
    for (const folder of options.folders) this.watchTree(resolve(folder));
    for (const file of options.files) this.watch(dirname(resolve(file)), false)?.names.add(basename(file));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const { watcher } of this.folders.values()) watcher.close();
    this.folders.clear();
  }

  private watchTree(folder: string): void {
    if (!this.watch(folder, true)) return;
    let entries: string[];
    try {
      entries = readdirSync(folder, { withFileTypes: true }).filter((e) => e.isDirectory() && watchable(e.name)).map((e) => e.name);
    } catch {
      return; // gone, or unreadable: nothing to watch there
    }
    for (const name of entries) this.watchTree(join(folder, name));
  }

  private watch(folder: string, tree: boolean): WatchedFolder | undefined {
    const known = this.folders.get(folder);
    if (known) {
      known.tree ||= tree;
      return known;
    }
    let watcher: FSWatcher;
    try {
      watcher = watch(folder, (_event, name) => this.event(folder, name ?? undefined));
    } catch {
      return undefined; // a folder that does not exist (yet) holds nothing to reload
    }
    // A watched folder that is deleted ends its watcher with an error; a new one is picked up by its parent.
    watcher.on('error', () => {
      watcher.close();
      this.folders.delete(folder);
    });
    const watched: WatchedFolder = { watcher, tree, names: new Set() };
    this.folders.set(folder, watched);
    return watched;
  }

  private event(folder: string, name: string | undefined): void {
    const watched = this.folders.get(folder);
    if (!watched || this.closed) return;
    if (name === undefined) {
      if (watched.tree) this.note(folder);
      return;
    }
    const path = join(folder, name);
    if (watched.names.has(name)) {
      this.note(path);
      return;
    }
    if (!watched.tree) return;
    if (SOURCE_FILE.test(name)) {
      this.note(path);
    } else if (watchable(name) && isFolder(path) && !this.folders.has(path)) {
      this.watchTree(path); // a new folder: its files count from now on (a `pgq generate` may write more)
      this.note(path);
    }
  }

  private note(path: string): void {
    this.pending.add(path);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const paths = [...this.pending];
      this.pending.clear();
      this.options.changed(paths);
    }, this.options.debounceMs);
  }
}

function watchable(folderName: string): boolean {
  return !folderName.startsWith('.') && !SKIPPED_FOLDERS.has(folderName);
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
