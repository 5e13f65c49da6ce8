/**
 * Spans are skipped while no OpenTelemetry SDK is registered, and made once one is, even one
 * registered after jobs were enqueued and run, until it is disabled again. (This file's process
 * starts with no SDK; tracing.test.ts covers the spans themselves.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startJobSpan, tracedEnqueue } from '../../src/observability/tracing.js';
import type { EnqueueRow } from '../../src/port/rows.js';

const rows: EnqueueRow[] = [
  { entrypoint: 'traced', priority: 0, payload: '{}', headers: null, executeAt: null, delayMs: null, dedupeKey: null, onConflict: 'error', dedupeWindowMs: null, after: null, runOnParentFailure: false },
];
const job = { id: 7, entrypoint: 'traced', attempt: 1, headers: {} };

/** Enqueues and runs one job through the tracing helpers; returns the rows the write was given. */
async function enqueueAndRun(): Promise<readonly EnqueueRow[]> {
  let written: readonly EnqueueRow[] = [];
  await tracedEnqueue(rows, async (traced) => {
    written = traced;
    return [7];
  });
  const span = startJobSpan(job);
  assert.equal(span.run(() => 'ran'), 'ran');
  span.end('successful');
  return written;
}

test('no SDK: no spans; an SDK registered later gets them; disabled, none again', async () => {
  assert.equal(await enqueueAndRun(), rows, 'without an SDK the rows are written as given');

  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  await enqueueAndRun();
  assert.deepEqual(exporter.getFinishedSpans().map((s) => s.name).sort(), ['process traced', 'send traced']);

  trace.disable();
  exporter.reset();
  await enqueueAndRun();
  assert.deepEqual(exporter.getFinishedSpans(), []);
});
