/**
 * What the protocol adapters know of tracing: an operation (a statement, a request, a command)
 * and its stages. The adapters get an `OperationTracer` in their hooks only when tracing is
 * configured; otherwise every call site is an `undefined` check, and the OpenTelemetry SDK is
 * never loaded (otlp-tracer.ts).
 */

/** The gateway's stages, each a child span of its operation. */
export type TraceStage = 'auth' | 'inspect' | 'policy' | 'approval-wait' | 'audit' | 'upstream' | 'masking';

/** The operations traced: one span each. */
export type TraceOperation =
  | 'postgres.login'
  | 'postgres.statement'
  | 'http.request'
  | 'ssh.command'
  | 'kubernetes.request';

/**
 * The only attributes a span may carry: names from the configuration, kinds, decisions and
 * counts. Never SQL text, a command line, a path, a principal or a token (they may carry PHI or
 * grant access), so the type admits none of them.
 */
export interface TraceAttributes {
  readonly 'warden.connection'?: string;
  /** allow / deny / require-approval, or the refusal ('not-inspectable', 'audit-unavailable', …). */
  readonly 'warden.decision'?: string;
  /** The policy rule that decided (a configured rule id). */
  readonly 'warden.rule'?: string;
  /** The statement's command kind (select, insert, …) or the SSH request mode (exec, shell, …). */
  readonly 'warden.kind'?: string;
  readonly 'http.request.method'?: string;
  readonly 'http.response.status_code'?: number;
}

export interface OperationTrace {
  /** Starts `stage` now, ending the stage open before it. */
  stage(stage: TraceStage): void;
  /** Ends the open stage, if any. */
  endStage(): void;
  /** A stage timed elsewhere, from and to `performance.now()` marks. */
  stageAt(stage: TraceStage, start: number, end: number): void;
  /** Adds attributes to the operation's span. */
  set(attributes: TraceAttributes): void;
  /** A W3C `traceparent` naming the open stage, for the call it makes upstream. */
  traceparent(): string | undefined;
  /** Ends the operation (and its open stage); `failed` marks it as an error. */
  end(attributes?: TraceAttributes, failed?: boolean): void;
}

export interface OperationTracer {
  /** Starts an operation now, as a child of the caller's `traceparent` when it sent a valid one. */
  start(operation: TraceOperation, attributes: TraceAttributes, traceparent?: string): OperationTrace;
}
