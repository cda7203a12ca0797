/**
 * One HTTP exchange, as named steps: authenticate → route → authorize → read body → inspect →
 * decide → (awaitApproval) → audit the attempt → forward (forward.ts). Every refusal is an
 * RFC 9457 problem document built from text written for clients; internal errors go to the log.
 * Nothing reaches the upstream unless the attempt was appended to the audit log first.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ProblemDocument, sendProblem } from '../../admin/problem';
import { AuthenticationError, LoginThrottledError } from '../../errors';
import type { Principal } from '../../identity/principal';
import type { HttpFacts } from '../../inspect/facts';
import {
  HttpInspectError,
  httpFacts,
  parseRequestTarget,
  type RequestTarget,
} from '../../inspect/http/request';
import type { OperationTrace } from '../../tracing';
import { type GateRefusal, passGate, refusalText } from '../gate';
import { forward } from './forward';
import { problem } from './headers';
import type { HttpGatewayHooks, HttpMasker } from './hooks';
import { requestAttempt } from './request-attempt';
import { bearerToken, readRequestBody } from './request-body';
import type { RouteMatch, Router } from './router';
import type { UpstreamPool } from './upstream';

export interface ExchangeContext {
  readonly hooks: HttpGatewayHooks;
  readonly router: Router;
  readonly upstream: UpstreamPool;
  readonly maxRequestBodyBytes: number;
  readonly recordMaxBytes: number;
  readonly upstreamTimeoutMs: number;
}

/** What every later step of an allowed exchange needs. */
export interface AllowedExchange {
  readonly session: string;
  readonly startedAt: Date;
  readonly principal: Principal;
  readonly route: RouteMatch;
  readonly target: RequestTarget;
  /** The facts with the path masked: what the audit log, approvers and the recorder see. */
  readonly shownFacts: HttpFacts;
  readonly body: Buffer;
  readonly masker: HttpMasker;
  /** The request's span when traced: forwarding adds the upstream and masking stages. */
  readonly trace?: OperationTrace;
}

class Refusal extends Error {
  constructor(
    readonly problem: ProblemDocument,
    readonly audited = false,
  ) {
    super(problem.detail);
  }
}

export async function handleExchange(
  ctx: ExchangeContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // A caller's W3C traceparent makes the request's span a child of the caller's.
  const parent = req.headers.traceparent;
  const trace = ctx.hooks.tracer?.start(
    'http.request',
    { 'http.request.method': req.method ?? '' },
    typeof parent === 'string' ? parent : undefined,
  );
  if (!trace) return exchange(ctx, req, res, undefined);
  try {
    await exchange(ctx, req, res, trace);
    trace.end({ 'http.response.status_code': res.statusCode }, res.statusCode >= 500);
  } catch (err) {
    trace.end(undefined, true);
    throw err;
  }
}

async function exchange(
  ctx: ExchangeContext,
  req: IncomingMessage,
  res: ServerResponse,
  trace: OperationTrace | undefined,
): Promise<void> {
  const { hooks } = ctx;
  const session = randomUUID();
  const startedAt = new Date();
  let principal: Principal | undefined;
  let connection: string | null = null;
  const refusedBody = (reason: string) => ({
    protocol: 'http' as const,
    request: session,
    method: req.method ?? '',
    reason,
  });
  try {
    const token = bearerToken(req);
    if (token === undefined) {
      throw new Refusal(problem(401, 'ERR_HTTP_NO_CREDENTIAL', 'send Authorization: Bearer <token>'));
    }
    trace?.stage('auth');
    principal = await authenticate(hooks, token, session);
    trace?.stage('inspect');
    let target: RequestTarget;
    try {
      target = parseRequestTarget(req.url ?? '');
    } catch (err) {
      throw inspectRefusal(err);
    }
    const route = ctx.router(req.headers.host, target.path);
    if (!route)
      throw new Refusal(problem(404, 'ERR_HTTP_NO_ROUTE', 'no connection serves this host and path'));
    connection = route.connection.name;
    trace?.set({ 'warden.connection': connection });
    trace?.stage('policy');
    const access = await hooks.authorize(principal, connection);
    if (!access.allowed) throw new Refusal(problem(403, 'ERR_HTTP_NO_GRANT', access.reason));
    trace?.stage('inspect');
    const body = await readRequestBody(req, ctx.maxRequestBodyBytes);
    if (body === undefined) throw tooLarge(ctx.maxRequestBodyBytes);
    let facts: HttpFacts;
    try {
      facts = httpFacts(req.method ?? 'GET', route.path, target, body.length);
    } catch (err) {
      throw inspectRefusal(err);
    }
    const masker = hooks.masker(principal, connection);
    // Paths can carry identifiers (/Patient/123-45-6789): only policy sees the real one.
    const shownFacts = { ...facts, path: masker.mask(facts.path).text };
    const verdict = await gate(ctx, { session, principal, connection, facts, shownFacts, trace });
    trace?.endStage();
    if (verdict) throw new Refusal(verdict, true);
    // The client may have gone while the request was held.
    if (res.destroyed || req.socket.destroyed) return;
    const allowed = { session, startedAt, principal, route, target, shownFacts, body, masker };
    await forward(ctx, trace ? { ...allowed, trace } : allowed, req, res);
  } catch (err) {
    trace?.endStage();
    if (!(err instanceof Refusal)) {
      hooks.log?.({ level: 'error', message: 'HTTP exchange failed', session, err });
      if (res.headersSent) return void res.destroy();
      return sendProblem(res, problem(500, 'ERR_INTERNAL', 'the request could not be processed'));
    }
    if (!err.audited) {
      try {
        await hooks.audit({
          type: 'request.refused',
          principal,
          connection,
          session,
          body: refusedBody(err.problem.code),
        });
      } catch (auditErr) {
        hooks.log?.({ level: 'error', message: 'audit append failed', session, err: auditErr });
      }
    }
    // A refused request may still be sending its body: answer, then close the connection rather than
    // drain a body of any size (a client could otherwise keep sending indefinitely).
    if (!req.complete) res.setHeader('connection', 'close');
    sendProblem(res, err.problem);
    if (!req.complete) res.once('finish', () => req.destroy());
  }
}

async function authenticate(hooks: HttpGatewayHooks, token: string, session: string): Promise<Principal> {
  try {
    return await hooks.authenticate(token);
  } catch (err) {
    if (err instanceof AuthenticationError) {
      const status =
        err.code === 'ERR_ISSUER_UNAVAILABLE' ? 503 : err instanceof LoginThrottledError ? 429 : 401;
      throw new Refusal(problem(status, err.code, err.reason));
    }
    hooks.log?.({ level: 'error', message: 'authentication failed', session, err });
    throw new Refusal(problem(503, 'ERR_IDENTITY_UNAVAILABLE', 'the credential could not be verified'));
  }
}

function inspectRefusal(err: unknown): Refusal {
  if (err instanceof HttpInspectError) return new Refusal(problem(400, err.code, err.detail));
  throw err;
}

function tooLarge(max: number): Refusal {
  return new Refusal(problem(413, 'ERR_HTTP_BODY_TOO_LARGE', `request bodies are limited to ${max} bytes`));
}

interface GateInput {
  readonly session: string;
  readonly principal: Principal;
  readonly connection: string;
  readonly facts: HttpFacts;
  readonly shownFacts: HttpFacts;
  readonly trace: OperationTrace | undefined;
}

/** The command gate (protocols/gate.ts). Returns the refusal to send, or undefined to forward. */
async function gate(ctx: ExchangeContext, g: GateInput): Promise<ProblemDocument | undefined> {
  const { trace, ...command } = g;
  const verdict = await passGate(ctx.hooks, {
    ...command,
    ...(trace ? { trace } : {}),
    attempt: requestAttempt('http', g),
  });
  return verdict.kind === 'allowed' ? undefined : gateProblem(verdict);
}

const GATE_PROBLEM = {
  denied: [403, 'ERR_POLICY_DENIED'],
  'approval-unavailable': [403, 'ERR_APPROVAL_REQUIRED'],
  'policy-error': [500, 'ERR_POLICY_ERROR'],
  'audit-unavailable': [503, 'ERR_AUDIT_UNAVAILABLE'],
} as const;

function gateProblem(verdict: GateRefusal): ProblemDocument {
  const [status, code] = GATE_PROBLEM[verdict.kind];
  return problem(status, code, refusalText(verdict));
}
