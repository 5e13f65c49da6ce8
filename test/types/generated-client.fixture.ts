// Type-level checks of a generated client (the example app's). Every line marked as an
// expected error must fail to compile; test/codegen/types.test.ts compiles this file
// under moduleResolution nodenext and bundler, and once more without the markers to prove
// each of them is a real error.
import type { PgQueuer } from 'pgqueuer';
import { enqueuedJobs, runJob } from 'pgqueuer/testing';
import schema from '../../examples/shop/src/jobs.schema.js';
import { createClient, registerHandlers, type Handlers, type SendEmailParsed, type SendEmailPayload } from '../../examples/shop/src/pgq.generated.js';

declare const pgq: PgQueuer;
const { enqueue, jobs } = createClient(pgq);

export async function producer(): Promise<void> {
  const handle = await enqueue.sendEmail({ to: 'a@b.co', subject: 's', body: 'b' }, { priority: 1, dedupeKey: 'k' });
  const { messageId } = await handle.result({ timeoutMs: 1_000 });
  const text: string = messageId;
  void text;
  await enqueue.resizeImage.many([{ payload: { key: 'k', widths: [1] }, priority: 2 }]);

  // @ts-expect-error -- a field of the wrong type
  await enqueue.sendEmail({ to: 'a@b.co', subject: 42, body: 'b' });
  // @ts-expect-error -- a missing field
  await enqueue.sendEmail({ to: 'a@b.co', body: 'b' });
  // @ts-expect-error -- a field the schema does not have
  await enqueue.sendEmail({ to: 'a@b.co', subject: 's', body: 'b', bcc: 'x' });
  // @ts-expect-error -- an unknown job
  await enqueue.sendSms({ to: '1' });
  // @ts-expect-error -- a scheduled job cannot be enqueued
  await enqueue.salesReport({});
  // @ts-expect-error -- the result is typed: messageId is a string
  const wrong: number = (await handle.result()).messageId;
  void wrong;
}

// jobs.<job>.get and .list are typed by that job's payload and result.
export async function inspect(): Promise<void> {
  const email = await jobs.sendEmail.get(1);
  if (!email || email.payload === null) return;
  const to: string = email.payload.to;
  const id: string | undefined = email.result?.messageId;
  void to;
  void id;
  // @ts-expect-error -- a sendEmail payload is not a resizeImage payload
  await enqueue.resizeImage(email.payload);
  // @ts-expect-error -- nor does it have resizeImage's fields
  const widths: number[] = email.payload.widths;
  void widths;
  const page = await jobs.resizeImage.list({ status: 'held', limit: 10 });
  const firstWidths: number[] | undefined = page.jobs[0]?.payload?.widths;
  void firstWidths;
  // @ts-expect-error -- list is already one job's: no entrypoint option
  await jobs.resizeImage.list({ entrypoint: 'sendEmail' });
  // @ts-expect-error -- not a status
  await jobs.resizeImage.list({ status: 'done' });
  // @ts-expect-error -- an unknown job
  await jobs.sendSms.get(1);
}

// Producers send the input type (tags optional); handlers see the parsed type (tags defaulted).
const input: SendEmailPayload = { to: 'a@b.co', subject: 's', body: 'b' };
// @ts-expect-error -- the parsed payload always has tags
const parsed: SendEmailParsed = { to: 'a@b.co', subject: 's', body: 'b' };
void input;
void parsed;

const handlers: Handlers = {
  sendEmail: async (job) => ({ messageId: job.payload.tags.join(',') }),
  resizeImage: async (job) => ({ variants: job.payload.widths.map(String) }),
  recordOrder: async (job) => {
    const cents: number = job.payload.totalCents;
    void cents;
  },
  salesReport: async (tick) => {
    const at: Date = tick.scheduledAt;
    void at;
  },
};
registerHandlers(pgq, handlers);

// @ts-expect-error -- a missing handler
registerHandlers(pgq, { sendEmail: handlers.sendEmail, resizeImage: handlers.resizeImage, recordOrder: handlers.recordOrder });
// @ts-expect-error -- a handler returning the wrong result type
registerHandlers(pgq, { ...handlers, sendEmail: async () => ({ messageId: 7 }) });
// @ts-expect-error -- a handler reading a payload field that does not exist
registerHandlers(pgq, { ...handlers, resizeImage: async (job) => ({ variants: [job.payload.height] }) });

// The testing kit is typed from the generated client and the schema file.
export async function kit(): Promise<void> {
  const listed = await enqueuedJobs(pgq, enqueue.sendEmail);
  const to: string = listed[0]!.payload.to;
  void to;
  // @ts-expect-error -- payloads listed through enqueue.sendEmail are SendEmailPayloads
  const wrongTo: number = listed[0]!.payload.to;
  void wrongTo;
  const resized = await runJob(schema, 'resizeImage', handlers.resizeImage, { key: 'k', widths: [1] });
  const variants: string[] = resized.variants;
  void variants;
  // @ts-expect-error -- runJob's payload is the job's payload type
  await runJob(schema, 'resizeImage', handlers.resizeImage, { key: 'k' });
  // @ts-expect-error -- and the handler must fit the job
  await runJob(schema, 'resizeImage', handlers.sendEmail, { key: 'k', widths: [1] });
}
