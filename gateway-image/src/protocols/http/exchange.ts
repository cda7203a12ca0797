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
import type { Decision } from '../../policy/decision';
import { forward } from './forward';
import { problem } from './headers';
import type { HttpGatewayHooks, HttpMasker } from './hooks';
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
}

class Refusal extends Error {
  constructor(
    readonly problem: ProblemDocument,
    readonly audited = false,
  ) {
    super(problem.detail);
  }
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

export async function handleExchange(
  ctx: ExchangeContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { hooks } = ctx;
  const session = randomUUID();
  const startedAt = new Date();
  let principal: Principal | undefined;
  let connection: string | null = null;
  const refusedBody = (reason: string) => ({ request: session, method: req.method ?? '', reason });
  try {
    const token = BEARER.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined) {
      throw new Refusal(problem(401, 'ERR_HTTP_NO_CREDENTIAL', 'send Authorization: Bearer <token>'));
    }
    principal = await authenticate(hooks, token, session);
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
    const access = await hooks.authorize(principal, connection);
    if (!access.allowed) throw new Refusal(problem(403, 'ERR_HTTP_NO_GRANT', access.reason));
    const body = await readBody(req, ctx.maxRequestBodyBytes);
    let facts: HttpFacts;
    try {
      facts = httpFacts(req.method ?? 'GET', route.path, target, body.length);
    } catch (err) {
      throw inspectRefusal(err);
    }
    const masker = hooks.masker(principal, connection);
    // Paths can carry identifiers (/Patient/123-45-6789): only policy sees the real one.
    const shownFacts = { ...facts, path: masker.mask(facts.path).text };
    const verdict = await gate(ctx, { session, principal, connection, facts, shownFacts });
    if (verdict) throw new Refusal(verdict, true);
    // The client may have gone while the request was held.
    if (res.destroyed || req.socket.destroyed) return;
    await forward(ctx, { session, startedAt, principal, route, target, shownFacts, body, masker }, req, res);
  } catch (err) {
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

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return Promise.reject(tooLarge(max));
  // Events rather than async iteration: iteration destroys the request, and with it the reply.
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) return void parts.push(chunk);
      req.off('data', onData);
      reject(tooLarge(max));
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(parts, size)));
    req.once('error', reject);
  });
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
}

/** decide → hold → audit the attempt. Returns the refusal to send, or undefined to forward. */
async function gate(ctx: ExchangeContext, g: GateInput): Promise<ProblemDocument | undefined> {
  const { hooks } = ctx;
  let decision: Decision;
  try {
    decision = hooks.decide(g.principal, g.connection, g.facts);
  } catch (err) {
    hooks.log?.({ level: 'error', message: 'policy evaluation failed', session: g.session, err });
    decision = { outcome: 'deny', rule: 'policy-error', reason: 'the policy could not be evaluated' };
  }
  let heldBy: string | undefined;
  if (decision.outcome === 'require-approval' && hooks.awaitApproval) {
    const held = decision;
    heldBy = held.rule;
    try {
      const { principal, connection, session, shownFacts: facts } = g;
      const result = await hooks.awaitApproval({ principal, connection, session, facts, decision: held });
      decision = result.outcome === 'require-approval' ? { ...result, outcome: 'deny' } : result;
    } catch (err) {
      hooks.log?.({ level: 'error', message: 'approval hold failed', session: g.session, err });
      decision = { outcome: 'deny', rule: held.rule, reason: 'the approval hold failed' };
    }
  }
  try {
    await hooks.audit({
      type: 'request.attempt',
      principal: g.principal,
      connection: g.connection,
      session: g.session,
      body: {
        request: g.session,
        facts: g.shownFacts,
        decision,
        ...(heldBy ? { approvalRule: heldBy } : {}),
      },
    });
  } catch (err) {
    hooks.log?.({ level: 'error', message: 'audit append failed; request refused', session: g.session, err });
    return problem(503, 'ERR_AUDIT_UNAVAILABLE', 'the audit log is unavailable; nothing was forwarded');
  }
  if (decision.outcome === 'allow') return undefined;
  if (decision.outcome === 'deny') {
    return problem(403, 'ERR_POLICY_DENIED', `denied by policy rule "${decision.rule}": ${decision.reason}`);
  }
  return problem(
    403,
    'ERR_APPROVAL_REQUIRED',
    `policy rule "${decision.rule}" requires approval (${decision.reason}), and approvals are not available on this gateway`,
  );
}
