import { initial } from './001-initial.js';
import { schedules } from './002-schedules.js';
import { lifecycle } from './003-lifecycle.js';
import { privileges } from './004-privileges.js';
import { dependencies } from './005-dependencies.js';
import { groups } from './006-groups.js';
import { groupTurns } from './007-group-turns.js';
import { handOff } from './008-hand-off.js';
import type { Migration } from './migration.js';

/** Every migration, oldest first. Append only: an applied migration is never edited. */
export const MIGRATIONS: readonly Migration[] = [initial, schedules, lifecycle, privileges, dependencies, groups, groupTurns, handOff];

export const LATEST_VERSION = MIGRATIONS.at(-1)!.version;

/** Tables the latest schema must have (they cannot be made again without their data). */
export const TABLES: readonly string[] = ['jobs', 'job_log', 'workers', 'rate_limits', 'migrations', 'schedules', 'paused_entrypoints', 'dedupe_reservations', 'job_dependencies', 'job_group_cursors', 'idle_workers'];
