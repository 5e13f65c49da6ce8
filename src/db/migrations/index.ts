import { initial } from './001-initial.js';
import type { Migration } from './migration.js';

/** Every migration, oldest first. Append only: an applied migration is never edited. */
export const MIGRATIONS: readonly Migration[] = [initial];

export const LATEST_VERSION = MIGRATIONS.at(-1)!.version;
