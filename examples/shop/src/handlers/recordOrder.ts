import type { Handlers } from '../pgq.generated.js';

export const ledger: Array<{ orderId: number; totalCents: number }> = [];

/** Orders are recorded one at a time, in order (serializedDispatch in the schema). */
export const recordOrder: Handlers['recordOrder'] = async (job) => {
  ledger.push(job.payload);
  console.log(`[worker]  recordOrder ${job.payload.orderId} recorded`);
};
