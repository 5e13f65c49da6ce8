// Type-level checks of typed job dependencies (the behaviour suite's generated client, whose
// shipOrder waits for sendReceipt jobs). Every line marked as an expected error must fail to
// compile; test/codegen/types.test.ts also compiles it without the markers to prove each is real.
import type { PgQueuer } from 'pgqueuer';
import { createClient, type Handlers } from '../conformance/fixture/pgq.generated.js';

declare const pgq: PgQueuer;
const { enqueue } = createClient(pgq);

export async function producer(): Promise<void> {
  const receipt = await enqueue.sendReceipt({ to: 'a@b.co' });
  const reindex = await enqueue.reindex({ table: 't' });
  const shipped = await enqueue.shipOrder({ orderId: 1 }, { after: { receipts: [receipt, receipt] }, priority: 2 });
  await enqueue.shipOrder.many([{ payload: { orderId: 2 }, after: { receipts: [receipt] } }]);
  await pgq.enqueue('untyped', {}, { after: [receipt, shipped.id, { item: 0 }] });

  // @ts-expect-error -- a handle of another job is not a receipt
  await enqueue.shipOrder({ orderId: 1 }, { after: { receipts: [reindex] } });
  // @ts-expect-error -- a shipOrder handle is not a receipt either, though its result has a string field too
  await enqueue.shipOrder({ orderId: 1 }, { after: { receipts: [shipped] } });
  // @ts-expect-error -- a dependent job needs its parents
  await enqueue.shipOrder({ orderId: 1 });
  // @ts-expect-error -- only the parents the schema names
  await enqueue.shipOrder({ orderId: 1 }, { after: { receipts: [receipt], invoices: [receipt] } });
  // @ts-expect-error -- the typed `after` is by name, not a list of ids
  await enqueue.shipOrder({ orderId: 1 }, { after: [receipt.id] });
  // @ts-expect-error -- many() items need their parents too
  await enqueue.shipOrder.many([{ payload: { orderId: 2 } }]);
  // @ts-expect-error -- a job without parents takes no typed `after`
  await enqueue.reindex({ table: 't' }, { after: { receipts: [receipt] } });
  // @ts-expect-error -- the untyped core takes ids, handles or { item }
  await pgq.enqueue('untyped', {}, { after: ['1'] });
}

export const shipOrder: Handlers['shipOrder'] = async (job, ctx) => {
  const ids: string[] = ctx.parents.receipts.map((r) => r.receiptId);
  // @ts-expect-error -- a parent's result is typed by its job's result schema
  const wrong: number = ctx.parents.receipts[0]!.receiptId;
  // @ts-expect-error -- only the parents the schema names
  void ctx.parents.invoices;
  void wrong;
  ctx.signal.throwIfAborted();
  return { label: `${job.payload.orderId} ${ids.join(',')}` };
};
