/**
 * Refusals as the Kubernetes API writes them: a `Status` object (meta/v1) with the HTTP code, a
 * reason kubectl maps to its "Error from server (Forbidden): …" line, and a message written for
 * clients. Internal errors never reach a Status; they are logged and answered with a fixed text.
 */
import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

export type StatusReason =
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'BadRequest'
  | 'RequestEntityTooLarge'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout'
  | 'BadGateway'
  | 'TooManyRequests';

export interface KubernetesStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: StatusReason;
  readonly details?: { readonly causes: readonly { readonly reason: string; readonly message: string }[] };
  readonly code: number;
}

/** A Status refusal; `code` is the Warden error code, kept as the cause's reason for tools. */
export function status(
  httpCode: number,
  reason: StatusReason,
  message: string,
  code?: string,
): KubernetesStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(code ? { details: { causes: [{ reason: code, message }] } } : {}),
    code: httpCode,
  };
}

export function sendStatus(res: ServerResponse, s: KubernetesStatus): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify(s);
  res.writeHead(s.code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** The same refusal written on a socket whose upgrade is declined (no HTTP response object there). */
export function refuseUpgrade(socket: Duplex, s: KubernetesStatus): void {
  const body = JSON.stringify(s);
  const text = STATUS_CODES[s.code] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${s.code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
