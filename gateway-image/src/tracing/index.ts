/**
 * Tracing for one gateway process: off unless `observability.tracing` is set, and then an
 * OperationTracer exporting OTLP/HTTP. The SDK is loaded only in that case, so a gateway without
 * tracing pays nothing for it.
 */
import type { WardenConfig } from '../config/schema';
import type { SecretRef } from '../config/secret-ref';
import type { OperationTracer } from './operation-trace';

export type { OperationTrace, OperationTracer, TraceAttributes, TraceStage } from './operation-trace';

export interface Tracing {
  readonly tracer: OperationTracer | undefined;
  close(): Promise<void>;
}

const OFF: Tracing = { tracer: undefined, close: async () => {} };

export async function startTracing(
  config: WardenConfig,
  resolveSecret: (ref: SecretRef) => Promise<string>,
): Promise<Tracing> {
  const t = config.observability.tracing;
  if (!t) return OFF;
  const headers: Record<string, string> = {};
  for (const [name, ref] of Object.entries(t.headers)) headers[name] = await resolveSecret(ref);
  // Required here, not imported above: the SDK is loaded only when tracing is on.
  const { startOtlpTracing }: typeof import('./otlp-tracer') = require('./otlp-tracer');
  const otlp = startOtlpTracing({
    endpoint: t.otlpEndpoint,
    headers,
    serviceName: t.serviceName,
    sampleRatio: t.sampleRatio,
  });
  return { tracer: otlp.tracer, close: () => otlp.close() };
}
