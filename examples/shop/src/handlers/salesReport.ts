import type { Handlers } from '../pgq.generated.js';
import { ledger } from './recordOrder.js';

export const reports: Date[] = [];

/** Runs on each tick of the schedule in the schema, once per tick across all workers. */
export const salesReport: Handlers['salesReport'] = async (tick) => {
  const total = ledger.reduce((sum, order) => sum + order.totalCents, 0);
  reports.push(tick.scheduledAt);
  console.log(`[report]  ${tick.scheduledAt.toISOString()}: ${ledger.length} orders, ${(total / 100).toFixed(2)} EUR`);
};
