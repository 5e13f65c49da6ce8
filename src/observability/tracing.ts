import {
  context,
  isSpanContextValid,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { withTraceHeaders } from '../encode.js';
import type { EnqueueRow } from '../port/rows.js';
import type { JobHeaders } from '../types.js';

/**
 * OpenTelemetry tracing through @opentelemetry/api only: with no SDK registered every call
 * here is a no-op, so nothing is forced on users; with one, enqueues and jobs show up as spans.
 * Attribute names follow OTel's messaging conventions.
 */
let cached: { provider: TracerProvider; tracer: Tracer | undefined } | undefined;
/** What the global provider (a proxy) delegates to while no SDK is registered. */
const NO_SDK = new ProxyTracerProvider().getDelegate();
/**
 * pgqueuer's tracer, asked of the global provider again only when what that provider delegates
 * to changed (an SDK registered or disabled later is still followed), not once per job; none
 * while no SDK is registered. Then enqueues and jobs skip their spans altogether: making no-op
 * spans, their attributes and contexts took about 10 µs of an idle producer's enqueue before
 * its statement went out, for nothing.
 */
function tracer(): Tracer | undefined {
  const global = trace.getTracerProvider();
  const provider = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  if (cached?.provider !== provider) cached = { provider, tracer: provider === NO_SDK ? undefined : global.getTracer('pgqueuer') };
  return cached.tracer;
}

const SYSTEM = 'pgqueuer';

/**
 * Writes encoded jobs inside a PRODUCER span, adding the span's context to each job's headers
 * (e.g. `traceparent`, as the registered propagator writes it; nothing without one) so the
 * jobs' CONSUMER spans can link to it.
 */
export async function tracedEnqueue(
  rows: readonly EnqueueRow[],
  write: (rows: readonly EnqueueRow[]) => Promise<number[]>,
): Promise<number[]> {
  const producerTracer = tracer();
  if (!producerTracer) return write(rows);
  const distinct = [...new Set(rows.map((r) => r.entrypoint))];
  const destination = distinct.length === 1 ? distinct[0]! : '(several)';
  const attributes: Attributes = {
    'messaging.system': SYSTEM,
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'enqueue',
    'messaging.destination.name': destination,
  };
  if (rows.length !== 1) attributes['messaging.batch.message_count'] = rows.length;
  const span = producerTracer.startSpan(`send ${destination}`, { kind: SpanKind.PRODUCER, attributes });
  try {
    const active = trace.setSpan(context.active(), span);
    const carrier: Record<string, string> = {};
    if (span.isRecording()) propagation.inject(active, carrier);
    const ids = await context.with(active, () => write(withTraceHeaders(rows, carrier)));
    if (ids.length === 1) span.setAttribute('messaging.message.id', String(ids[0]));
    return ids;
  } catch (err) {
    fail(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Starts the CONSUMER span of one attempt of a job. It is the root of its own trace and links
 * to the producer's span (from the job's headers): a job may run days after it was enqueued,
 * and retried, so parenting every attempt under the request that enqueued it would make that
 * request's trace never end.
 */
export function startJobSpan(job: { id: number; entrypoint: string; attempt: number; headers: JobHeaders }): JobSpan {
  const consumerTracer = tracer();
  if (!consumerTracer) return NO_JOB_SPAN;
  const producer = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, job.headers ?? {}));
  const span = consumerTracer.startSpan(
    `process ${job.entrypoint}`,
    {
      kind: SpanKind.CONSUMER,
      links: producer ? [{ context: producer }] : [],
      attributes: {
        'messaging.system': SYSTEM,
        'messaging.operation.type': 'process',
        'messaging.destination.name': job.entrypoint,
        'messaging.message.id': String(job.id),
        'pgqueuer.job.attempt': job.attempt,
      },
    },
    ROOT_CONTEXT,
  );
  return new JobSpan(span);
}

export class JobSpan {
  /** False for a span with no context to make active (a provider that records nothing). */
  private readonly live: boolean;

  /** No span: while no SDK is registered. */
  constructor(private readonly span: Span | undefined) {
    this.live = span !== undefined && (span.isRecording() || isSpanContextValid(span.spanContext()));
  }

  /** Runs the handler with this span active, so spans the handler starts are its children. */
  run<T>(fn: () => T): T {
    return this.live ? context.with(trace.setSpan(ROOT_CONTEXT, this.span!), fn) : fn();
  }

  end(outcome: string, error?: unknown): void {
    if (!this.span) return;
    this.span.setAttribute('pgqueuer.job.outcome', outcome);
    if (error !== undefined) fail(this.span, error);
    this.span.end();
  }
}

const NO_JOB_SPAN = new JobSpan(undefined);

function fail(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  span.setAttribute('error.type', error.name);
}
