import { PgQueuer } from '../pgqueuer.js';

/** Options every command that touches the database accepts. */
export interface GlobalOptions {
  databaseUrl?: string;
  schemaName?: string;
}

export function connectionOf(options: GlobalOptions): string | undefined {
  // An empty DATABASE_URL counts as unset (`DATABASE_URL= pgq dev`).
  return options.databaseUrl ?? (process.env.DATABASE_URL || undefined);
}

export function schemaOf(options: GlobalOptions): string | undefined {
  return options.schemaName ?? process.env.PGQ_SCHEMA;
}

/** Opens a PgQueuer for one command, and always stops it. */
export async function withQueue<T>(options: GlobalOptions, fn: (pgq: PgQueuer) => Promise<T>): Promise<T> {
  const pgq = await PgQueuer.connect(connectionOf(options), { schema: schemaOf(options) });
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
