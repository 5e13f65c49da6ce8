import { PgQueuer } from 'pgqueuer';
import * as handlers from './handlers/index.js';
import { registerHandlers } from './pgq.generated.js';

// `npx pgq run src/worker.ts` (or `npx pgq dev` for an embedded PostgreSQL) runs this worker.
export default async function createWorker(): Promise<PgQueuer> {
  const pgq = await PgQueuer.connect(process.env.DATABASE_URL);
  registerHandlers(pgq, handlers);
  return pgq;
}
