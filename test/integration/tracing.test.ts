/**
 * OpenTelemetry: an SDK with an in-memory exporter is registered for this file's process (test
 * files run in processes of their own), the way an application registers its exporter.
 */
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { DuplicateJobError } from '../../src/index.js';
import { openQueue, startWorker } from '../support/queue.js';
import { countdown, until, within } from '../support/wait.js';
import { db, producer, useFileDatabase } from '../support/file-database.js';

const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const app = trace.getTracer('the-app');

useFileDatabase();
beforeEach(() => exporter.reset());

const spans = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name);
const storedHeaders = async (id: number) =>
  (await db.pool.query('SELECT headers FROM pgqueuer.jobs WHERE id = $1', [id])).rows[0]?.headers as Record<string, string>;

test('enqueue is a producer span in the caller\'s trace; the job\'s consumer span links to it', async () => {
  const worker = await openQueue(db.url);
  const ran = countdown(1);
  worker.entrypoint('traced', async () => {
    app.startSpan('inside the handler').end();
    ran.tick();
  });

  const request = app.startSpan('POST /signup');
  const id = await context.with(trace.setSpan(context.active(), request), () =>
    producer.enqueue('traced', { user: 1 }, { headers: { tenant: 'acme' } }),
  );
  request.end();

  const [send] = spans('send traced');
  assert.ok(send, 'a producer span');
  assert.equal(send.kind, SpanKind.PRODUCER);
  assert.equal(send.parentSpanContext?.spanId, request.spanContext().spanId, 'a child of the request');
  assert.equal(send.spanContext().traceId, request.spanContext().traceId);
  assert.deepEqual(
    { ...send.attributes },
    { 'messaging.system': 'pgqueuer', 'messaging.operation.type': 'send', 'messaging.operation.name': 'enqueue', 'messaging.destination.name': 'traced', 'messaging.message.id': String(id) },
  );
  const headers = await storedHeaders(id);
  assert.equal(headers.tenant, 'acme', 'the caller\'s headers are kept');
  assert.equal(headers.traceparent, `00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`);

  const stop = startWorker(worker);
  await within(ran.done, 10_000, 'the job');
  await stop();

  const [consume] = await until(() => (spans('process traced').length ? spans('process traced') : undefined), 5_000, 'the consumer span');
  assert.equal(consume!.kind, SpanKind.CONSUMER);
  assert.deepEqual(consume!.links.map((l) => l.context.spanId), [send.spanContext().spanId], 'linked to the producer span');
  assert.equal(consume!.parentSpanContext, undefined, 'the root of its own trace');
  assert.notEqual(consume!.spanContext().traceId, send.spanContext().traceId);
  assert.equal(consume!.attributes['messaging.message.id'], String(id));
  assert.equal(consume!.attributes['pgqueuer.job.attempt'], 1);
  assert.equal(consume!.attributes['pgqueuer.job.outcome'], 'successful');
  assert.equal(consume!.status.code, SpanStatusCode.UNSET);
  const [inner] = spans('inside the handler');
  assert.equal(inner!.parentSpanContext?.spanId, consume!.spanContext().spanId, 'the handler runs inside its span');
});

test('a failing attempt records the error on its span; each attempt links to the same producer', async () => {
  const worker = await openQueue(db.url);
  const attempts = countdown(2);
  worker.entrypoint('traced_fail', { retry: { maxAttempts: 2, initialDelayMs: 0 } }, async (job) => {
    attempts.tick();
    throw new TypeError(`attempt ${job.attempt} broke`);
  });
  await producer.enqueue('traced_fail', {});
  const stop = startWorker(worker);
  await within(attempts.done, 10_000, 'two attempts');
  await until(() => spans('process traced_fail').length === 2, 5_000, 'two consumer spans');
  await stop();

  const [send] = spans('send traced_fail');
  const runs = spans('process traced_fail').sort((a, b) => Number(a.attributes['pgqueuer.job.attempt']) - Number(b.attributes['pgqueuer.job.attempt']));
  assert.deepEqual(runs.map((s) => s.attributes['pgqueuer.job.outcome']), ['retried', 'exception']);
  for (const [i, run] of runs.entries()) {
    assert.equal(run.status.code, SpanStatusCode.ERROR);
    assert.equal(run.status.message, `attempt ${i + 1} broke`);
    assert.equal(run.attributes['error.type'], 'TypeError');
    const exception = run.events.find((e) => e.name === 'exception');
    assert.equal(exception?.attributes?.['exception.message'], `attempt ${i + 1} broke`);
    assert.deepEqual(run.links.map((l) => l.context.spanId), [send!.spanContext().spanId]);
  }
});

test('enqueueMany is one producer span for the batch; a failed enqueue records its error', async () => {
  const ids = await producer.enqueueMany([
    { entrypoint: 'traced_a', payload: {} },
    { entrypoint: 'traced_b', payload: {}, dedupeKey: 'once' },
  ]);
  const [batch] = spans('send (several)');
  assert.equal(batch!.attributes['messaging.batch.message_count'], 2);
  for (const id of ids) assert.match((await storedHeaders(id)).traceparent!, new RegExp(batch!.spanContext().spanId));

  await assert.rejects(producer.enqueue('traced_b', {}, { dedupeKey: 'once' }), DuplicateJobError);
  const [failed] = spans('send traced_b');
  assert.equal(failed!.status.code, SpanStatusCode.ERROR);
  assert.equal(failed!.attributes['error.type'], 'DuplicateJobError');
});
