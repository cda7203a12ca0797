import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * Log lines in the structured form Cloud Logging's agent on Container-Optimized OS understands: one
 * JSON object per line whose special fields become the entry's severity, labels and trace.
 * https://cloud.google.com/logging/docs/structured-logging#special-payload-fields
 */
export type CloudSeverity =
  | 'DEFAULT'
  | 'DEBUG'
  | 'INFO'
  | 'NOTICE'
  | 'WARNING'
  | 'ERROR'
  | 'CRITICAL'
  | 'ALERT'
  | 'EMERGENCY';

export const LABELS_FIELD = 'logging.googleapis.com/labels';
export const TRACE_FIELD = 'logging.googleapis.com/trace';
export const SPAN_FIELD = 'logging.googleapis.com/spanId';
export const SAMPLED_FIELD = 'logging.googleapis.com/trace_sampled';

/** pino's numeric levels (trace 10 … fatal 60) mapped to Cloud Logging severities. */
export function severityFor(level: number): CloudSeverity {
  if (level >= 60) return 'CRITICAL';
  if (level >= 50) return 'ERROR';
  if (level >= 40) return 'WARNING';
  if (level >= 30) return 'INFO';
  if (level >= 10) return 'DEBUG';
  return 'DEFAULT';
}

export interface TraceContext {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** 16 hex digits. */
  readonly spanId?: string;
  readonly sampled?: boolean;
}

/** W3C `traceparent: 00-<trace-id>-<parent-id>-<flags>`; undefined when absent or malformed. */
export function parseTraceparent(header: string | undefined): TraceContext | undefined {
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(header?.trim() ?? '');
  if (!m || m[1] === 'ff' || /^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return undefined;
  return { traceId: m[2]!, spanId: m[3]!, sampled: (Number.parseInt(m[4]!, 16) & 1) === 1 };
}

/** Google's legacy `X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1` (span id is decimal there). */
export function parseCloudTraceContext(header: string | undefined): TraceContext | undefined {
  const m = /^([0-9a-fA-F]{32})(?:\/(\d{1,20}))?(?:;o=([01]))?$/.exec(header?.trim() ?? '');
  if (!m) return undefined;
  const span = m[2] === undefined ? undefined : BigInt(m[2]).toString(16).padStart(16, '0').slice(-16);
  return {
    traceId: m[1]!.toLowerCase(),
    ...(span === undefined ? {} : { spanId: span }),
    ...(m[3] === undefined ? {} : { sampled: m[3] === '1' }),
  };
}

/** The special fields that tie a log line to a Cloud Trace trace in `projectId`. */
export function traceFields(projectId: string, ctx: TraceContext): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {
    [TRACE_FIELD]: `projects/${projectId}/traces/${ctx.traceId}`,
  };
  if (ctx.spanId) out[SPAN_FIELD] = ctx.spanId;
  if (ctx.sampled !== undefined) out[SAMPLED_FIELD] = ctx.sampled;
  return out;
}

export interface CloudLoggingOptions {
  /** Project that owns the traces; without it trace contexts are logged as plain fields. */
  readonly projectId?: string;
  /**
   * Labels on every entry. The gateway's log sink routes entries by the `warden.dev/gateway`
   * label, so keep it set on a deployed gateway. @default {}
   */
  readonly labels?: Readonly<Record<string, string>>;
  /** Lowest pino level written. @default 'info' */
  readonly level?: string;
}

/**
 * pino options producing Cloud Logging's structured form. A log call may pass `trace` (a
 * TraceContext) and `labels` (string map) in its object; both are moved into the special fields.
 */
export function cloudLoggingPinoOptions(options: CloudLoggingOptions = {}): LoggerOptions {
  const baseLabels = { ...(options.labels ?? {}) };
  return {
    level: options.level ?? 'info',
    messageKey: 'message',
    // The agent reads `time` as the entry timestamp when it is RFC 3339.
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    base: undefined,
    formatters: {
      level: (_label, number) => ({ severity: severityFor(number) }),
      log: (object) => toSpecialFields(object, baseLabels, options.projectId),
    },
  };
}

export function createCloudLogger(
  options: CloudLoggingOptions = {},
  destination?: DestinationStream,
): Logger {
  const opts = cloudLoggingPinoOptions(options);
  return destination ? pino(opts, destination) : pino(opts);
}

function toSpecialFields(
  object: Record<string, unknown>,
  baseLabels: Record<string, string>,
  projectId: string | undefined,
): Record<string, unknown> {
  const { trace, labels, ...rest } = object;
  const merged = { ...baseLabels, ...stringLabels(labels) };
  const out: Record<string, unknown> = { ...rest };
  if (Object.keys(merged).length > 0) out[LABELS_FIELD] = merged;
  if (isTraceContext(trace)) {
    if (projectId) Object.assign(out, traceFields(projectId, trace));
    else out.trace = trace;
  } else if (trace !== undefined) {
    out.trace = trace;
  }
  return out;
}

/** Cloud Logging labels are string to string; anything else would make the agent drop the field. */
function stringLabels(v: unknown): Record<string, string> {
  if (v === null || typeof v !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (val !== undefined && val !== null) out[k] = String(val);
  }
  return out;
}

function isTraceContext(v: unknown): v is TraceContext {
  return (
    v !== null &&
    typeof v === 'object' &&
    typeof (v as TraceContext).traceId === 'string' &&
    /^[0-9a-f]{32}$/.test((v as TraceContext).traceId)
  );
}
