import type { Handlers } from '../pgq.generated.js';
import { ledger } from './recordOrder.js';

let reported!: () => void;
/** Resolves once the first report ran (main.ts waits for it before stopping). */
export const firstReport = new Promise<void>((resolve) => (reported = resolve));

/** Runs on each tick of the schedule in the schema, once per tick across all workers. */
export const salesReport: Handlers['salesReport'] = async (tick) => {
  const total = ledger.reduce((sum, order) => sum + order.totalCents, 0);
  console.log(`[report]  ${tick.scheduledAt.toISOString()}: ${ledger.length} orders, ${(total / 100).toFixed(2)} EUR`);
  reported();
};
