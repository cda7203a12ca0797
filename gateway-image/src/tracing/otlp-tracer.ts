/**
 * The OperationTracer over the OpenTelemetry SDK, exporting OTLP/HTTP (JSON) in batches. Loaded
 * only when `observability.tracing` is set. Spans carry the attributes OperationTrace admits and
 * nothing else: no SQL text, PHI or token reaches the exporter.
 */
import {
  type Context,
  context,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { OperationTrace, OperationTracer, TraceAttributes, TraceStage } from './operation-trace';

export interface OtlpTracingOptions {
  readonly endpoint: string;
  /** Headers sent with each export, resolved (API keys). */
  readonly headers: Readonly<Record<string, string>>;
  readonly serviceName: string;
  readonly sampleRatio: number;
  /** How long spans wait before a batch is sent. @default 5000 */
  readonly exportDelayMs?: number;
}

export interface OtlpTracing {
  readonly tracer: OperationTracer;
  /** Sends what is batched. */
  flush(): Promise<void>;
  /** Sends what is batched and stops. */
  close(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();

export function startOtlpTracing(o: OtlpTracingOptions): OtlpTracing {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': o.serviceName }),
    // A caller's sampled traceparent is followed; the ratio decides for operations that start here.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(o.sampleRatio) }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: o.endpoint, headers: { ...o.headers } }),
        scheduledDelayMillis: o.exportDelayMs ?? 5_000,
      }),
    ],
  });
  const tracer = provider.getTracer('warden-gateway');
  return {
    tracer: {
      start(operation, attributes, traceparent) {
        const parent = traceparent
          ? propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter)
          : ROOT_CONTEXT;
        const span = tracer.startSpan(
          operation,
          { kind: SpanKind.SERVER, attributes: { ...attributes } },
          parent,
        );
        return new SpanTrace(tracer, span);
      },
    },
    flush: () => provider.forceFlush(),
    close: () => provider.shutdown(),
  };
}

/** performance.now() marks as the wall-clock milliseconds spans are timed in. */
const wallClock = (mark: number) => performance.timeOrigin + mark;

class SpanTrace implements OperationTrace {
  private open: Span | undefined;
  private readonly parent: Context;

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
  ) {
    this.parent = trace.setSpan(context.active(), span);
  }

  stage(stage: TraceStage): void {
    this.endStage();
    this.open = this.tracer.startSpan(stage, { kind: SpanKind.INTERNAL }, this.parent);
  }

  endStage(): void {
    this.open?.end();
    this.open = undefined;
  }

  stageAt(stage: TraceStage, start: number, end: number): void {
    const kind = stage === 'upstream' ? SpanKind.CLIENT : SpanKind.INTERNAL;
    this.tracer.startSpan(stage, { kind, startTime: wallClock(start) }, this.parent).end(wallClock(end));
  }

  set(attributes: TraceAttributes): void {
    this.span.setAttributes({ ...attributes });
  }

  traceparent(): string | undefined {
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, this.open ?? this.span), carrier, {
      set: (c, k, v) => {
        c[k] = v;
      },
    });
    return carrier.traceparent;
  }

  end(attributes?: TraceAttributes, failed?: boolean): void {
    this.endStage();
    if (attributes) this.span.setAttributes({ ...attributes });
    if (failed) this.span.setStatus({ code: SpanStatusCode.ERROR });
    this.span.end();
  }
}
