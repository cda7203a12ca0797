/**
 * What an admin API client sees when a request fails: an RFC 9457 problem document built from the
 * error's stable code. Only text written for clients (HttpProblem.detail, AuthenticationError.reason)
 * is ever copied into it; every other error becomes a generic 500.
 */
import type { ServerResponse } from 'node:http';
import { AuthenticationError, LoginThrottledError, WardenError } from '../errors';

/** A refusal the admin API raises on purpose; `detail` is written for the client. */
export class HttpProblem extends WardenError {
  constructor(
    readonly status: number,
    code: string,
    readonly detail: string,
  ) {
    super(code, detail);
  }
}

export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function toProblem(err: unknown): ProblemDocument {
  let status = 500;
  let code = 'ERR_INTERNAL';
  let detail = 'the request could not be processed';
  if (err instanceof HttpProblem) {
    ({ status, code, detail } = err);
  } else if (err instanceof AuthenticationError) {
    // An unreachable issuer is our outage, not the client's bad credential.
    status = err.code === 'ERR_ISSUER_UNAVAILABLE' ? 503 : err instanceof LoginThrottledError ? 429 : 401;
    code = err.code;
    detail = err.reason;
  } else if (err instanceof WardenError && err.code === 'ERR_APPROVAL_STORE') {
    // Shared state is down: nothing was decided or recorded, and the same request can be retried.
    status = 503;
    code = err.code;
    detail = 'the approvals store is unavailable; nothing was changed, try again shortly';
  }
  return { type: `urn:warden:error:${code}`, title: titles[status] ?? 'Error', status, detail, code };
}

export function sendProblem(res: ServerResponse, problem: ProblemDocument): void {
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
  };
  if (problem.status === 401) {
    // RFC 6750 §3: tell bearer clients the token itself was the problem.
    headers['www-authenticate'] = 'Bearer error="invalid_token"';
  }
  res.writeHead(problem.status, headers);
  res.end(JSON.stringify(problem));
}
