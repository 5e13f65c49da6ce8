/**
 * How an app tests its jobs with pgqueuer/testing: no database, time under the test's control.
 * Runs with `npm test` (node:test through tsx).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PgQueuer } from 'pgqueuer';
import { drain, enqueuedJobs, runJob, TestClock } from 'pgqueuer/testing';
import { recordOrder, resizeImage, salesReport, sendEmail } from '../src/handlers/index.js';
import schema from '../src/jobs.schema.js';
import { createClient, registerHandlers } from '../src/pgq.generated.js';

test('a welcome email is enqueued once per user, with the typed payload', async () => {
  const pgq = PgQueuer.inMemory();
  const { enqueue } = createClient(pgq);
  await enqueue.sendEmail({ to: 'ada@example.com', subject: 'Welcome!', body: 'Hi' }, { dedupeKey: 'welcome:ada' });
  await assert.rejects(enqueue.sendEmail({ to: 'ada@example.com', subject: 'Welcome!', body: 'Hi' }, { dedupeKey: 'welcome:ada' }));
  const [job] = await enqueuedJobs(pgq, enqueue.sendEmail);
  assert.equal(job!.payload.to, 'ada@example.com');
  await pgq.stop();
});

test('sendEmail fails its first attempt and succeeds on the retry', async () => {
  await assert.rejects(runJob(schema, 'sendEmail', sendEmail, { to: 'a@b.co', subject: 's', body: 'b' }), /mail server busy/);
  const result = await runJob(schema, 'sendEmail', sendEmail, { to: 'a@b.co', subject: 's', body: 'b' }, { attempt: 2 });
  assert.match(result.messageId, /^msg-/);
});

test('the retry comes back after its backoff, on the test clock', async () => {
  const clock = new TestClock('2026-05-01T09:00:00Z');
  const pgq = PgQueuer.inMemory({ clock });
  registerHandlers(pgq, { sendEmail, resizeImage, recordOrder, salesReport });
  const { enqueue } = createClient(pgq);
  const email = await enqueue.sendEmail({ to: 'a@b.co', subject: 's', body: 'b' });
  await drain(pgq); // attempt 1 fails; the retry waits 100–200 ms (clock time)
  assert.equal((await enqueuedJobs(pgq, enqueue.sendEmail))[0]?.status, 'scheduled');
  clock.advance(200);
  await drain(pgq);
  assert.match((await email.result()).messageId, /^msg-\d+-2$/);
  await pgq.stop();
});
