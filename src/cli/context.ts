import { PgQueuer } from '../pgqueuer.js';
import type { PgQueuerOptions } from '../types.js';

/** Options every command that touches the database accepts. */
export interface GlobalOptions {
  databaseUrl?: string;
  schemaName?: string;
  /** False with --no-prepared-statements; commander's default is true, which means "not given". */
  preparedStatements?: boolean;
  listenUrl?: string;
}

export function connectionOf(options: GlobalOptions): string | undefined {
  // An empty DATABASE_URL counts as unset (`DATABASE_URL= pgq dev`).
  return options.databaseUrl ?? (process.env.DATABASE_URL || undefined);
}

export function schemaOf(options: GlobalOptions): string | undefined {
  return options.schemaName ?? process.env.PGQ_SCHEMA;
}

/**
 * The library options the global flags set. Unset flags are left out, so the library's own
 * defaults apply: PGQ_PREPARED_STATEMENTS and PGQ_LISTEN_URL.
 */
export function queueOptionsOf(options: GlobalOptions): PgQueuerOptions {
  const queue: PgQueuerOptions = { schema: schemaOf(options) };
  if (options.preparedStatements === false) queue.preparedStatements = false;
  if (options.listenUrl) queue.listenConnection = options.listenUrl;
  return queue;
}

/**
 * Hands the connection flags to a worker module through the environment, which its own
 * `PgQueuer.connect()` reads (options the module passes explicitly still win).
 */
export function exportConnectionFlags(options: GlobalOptions): void {
  if (options.preparedStatements === false) process.env.PGQ_PREPARED_STATEMENTS = 'false';
  if (options.listenUrl) process.env.PGQ_LISTEN_URL = options.listenUrl;
}

/** Opens a PgQueuer for one command, and always stops it. */
export async function withQueue<T>(options: GlobalOptions, fn: (pgq: PgQueuer) => Promise<T>): Promise<T> {
  const pgq = await PgQueuer.connect(connectionOf(options), queueOptionsOf(options));
  try {
    return await fn(pgq);
  } finally {
    await pgq.stop();
  }
}

/** A command's verdict that is not an error: e.g. `verify` found problems. */
export class ExitCode {
  constructor(readonly code: number) {}
}
