/**
 * `npm run example`: the whole shop in one process. Uses DATABASE_URL, or starts an embedded
 * PostgreSQL when it is unset, installs the schema, runs a worker and a producer, prints what
 * happened and exits 0.
 */
import { install } from 'pgqueuer';
import { startEmbeddedPostgres } from 'pgqueuer/embedded';
import { firstReport } from './handlers/salesReport.js';
import { ledger } from './handlers/recordOrder.js';
import { produce } from './producer.js';
import createWorker from './worker.js';

const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres();
const databaseUrl = process.env.DATABASE_URL ?? embedded!.url;
console.log(embedded ? `[setup]   embedded PostgreSQL on port ${embedded.port}` : '[setup]   using DATABASE_URL');
try {
  const installed = await install(databaseUrl);
  console.log(`[setup]   schema "${installed.schema}" at migration ${installed.version}`);

  const worker = await createWorker(databaseUrl);
  const running = worker.run();
  await produce(databaseUrl);
  // Let the schedule tick at least once before stopping.
  await firstReport;
  await worker.stop();
  await running;

  console.log(`[summary] ledger: ${ledger.map((o) => o.orderId).join(', ')} (order 1002 was rolled back, so it never ran)`);
  console.log('[summary] done');
} finally {
  await embedded?.stop();
}

