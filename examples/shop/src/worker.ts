import { PgQueuer } from 'pgqueuer';
import * as handlers from './handlers/index.js';
import { registerHandlers } from './pgq.generated.js';

/**
 * The worker: every handler registered with the options from the schema. `pgq run
 * examples/shop/src/worker.ts` runs it as its own process; main.ts runs it in-process.
 */
export default async function createWorker(databaseUrl = process.env.DATABASE_URL): Promise<PgQueuer> {
  const pgq = await PgQueuer.connect(databaseUrl, { pollIntervalMs: 500 });
  registerHandlers(pgq, handlers); // a missing or mistyped handler does not compile
  return pgq;
}
