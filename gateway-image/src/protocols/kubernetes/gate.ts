/**
 * The steps every Kubernetes request passes before a byte reaches the cluster, REST and exec
 * alike: authenticate → route → authorize → inspect → decide → (awaitApproval) → audit the
 * attempt. Each refusal is a Kubernetes Status built from text written for clients and is
 * audited; internal errors are logged and answered with a fixed text.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AuthenticationError, LoginThrottledError } from '../../errors';
import type { Principal } from '../../identity/principal';
import type { KubernetesFacts } from '../../inspect/facts';
import { HttpInspectError, parseRequestTarget, type RequestTarget } from '../../inspect/http/request';
import { KubernetesInspectError } from '../../inspect/kubernetes';
import type { Decision } from '../../policy/decision';
import type { OperationTrace } from '../../tracing';
import { type GateRefusal, passGate, refusalText } from '../gate';
import type { HttpMasker } from '../http/hooks';
import { requestAttempt } from '../http/request-attempt';
import { bearerToken } from '../http/request-body';
import type { KubernetesGatewayHooks } from './hooks';
import type { KubernetesRoute } from './router';
import { type KubernetesStatus, status } from './status';

export interface GateContext {
  readonly hooks: KubernetesGatewayHooks;
  readonly route: (path: string) => KubernetesRoute | undefined;
}

/** An allowed request: what forwarding and relaying need. */
export interface AllowedRequest {
  readonly session: string;
  readonly startedAt: Date;
  readonly principal: Principal;
  readonly route: KubernetesRoute;
  readonly target: RequestTarget;
  readonly facts: KubernetesFacts;
  /** Facts as audited: identifiers in names and the exec command line masked. */
  readonly shownFacts: KubernetesFacts;
  /** Response masking for this principal on this connection. */
  readonly masker: HttpMasker;
  /** The request's span when traced: the relay adds the upstream and masking stages and ends it. */
  readonly trace?: OperationTrace;
}

export class Refusal extends Error {
  constructor(
    readonly status: KubernetesStatus,
    /** The refusal was already audited (as the attempt's decision). */
    readonly audited = false,
  ) {
    super(status.message);
  }
}

/** Identity only (used by the SPDY refusal, which needs to know whom it answers). */
export async function authenticateRequest(
  hooks: KubernetesGatewayHooks,
  req: IncomingMessage,
  session: string,
) {
  const token = bearerToken(req);
  if (token === undefined) {
    throw new Refusal(
      status(401, 'Unauthorized', 'send Authorization: Bearer <Warden or OIDC token>', 'ERR_NO_CREDENTIAL'),
    );
  }
  try {
    return await hooks.authenticate(token);
  } catch (err) {
    if (err instanceof LoginThrottledError) {
      throw new Refusal(status(429, 'TooManyRequests', err.reason, err.code));
    }
    if (err instanceof AuthenticationError) {
      const unavailable = err.code === 'ERR_ISSUER_UNAVAILABLE';
      throw new Refusal(
        status(
          unavailable ? 503 : 401,
          unavailable ? 'ServiceUnavailable' : 'Unauthorized',
          err.reason,
          err.code,
        ),
      );
    }
    hooks.log?.({ level: 'error', message: 'authentication failed', session, err });
    throw new Refusal(
      status(503, 'ServiceUnavailable', 'the credential could not be verified', 'ERR_IDENTITY_UNAVAILABLE'),
    );
  }
}

/**
 * Runs every step up to the audited attempt. Resolves with the allowed request, or rejects with a
 * Refusal already audited (request.refused or the attempt's deny).
 */
export async function gateRequest(
  ctx: GateContext,
  req: IncomingMessage,
  upgrade: boolean,
  /** A refusal of the adapter's own for these facts (an exec without a channel protocol), checked before policy. */
  check?: (facts: KubernetesFacts) => KubernetesStatus | undefined,
): Promise<AllowedRequest> {
  const { hooks } = ctx;
  const session = randomUUID();
  const startedAt = new Date();
  let principal: Principal | undefined;
  let connection: string | null = null;
  // A caller's W3C traceparent makes the request's span a child of the caller's.
  const parent = req.headers.traceparent;
  const trace = hooks.tracer?.start(
    'kubernetes.request',
    { 'http.request.method': req.method ?? '' },
    typeof parent === 'string' ? parent : undefined,
  );
  try {
    trace?.stage('auth');
    principal = await authenticateRequest(hooks, req, session);
    trace?.stage('inspect');
    let target: RequestTarget;
    try {
      target = parseRequestTarget(req.url ?? '');
    } catch (err) {
      if (err instanceof HttpInspectError) throw new Refusal(status(400, 'BadRequest', err.detail, err.code));
      throw err;
    }
    const route = ctx.route(target.path);
    if (!route)
      throw new Refusal(status(404, 'NotFound', 'no Kubernetes connection serves this path', 'ERR_NO_ROUTE'));
    connection = route.connection.name;
    trace?.set({ 'warden.connection': connection });
    const access = await hooks.authorize(principal, connection);
    if (!access.allowed) throw new Refusal(status(403, 'Forbidden', access.reason, 'ERR_NO_GRANT'));
    let facts: KubernetesFacts;
    try {
      facts = hooks.inspect(
        {
          method: req.method ?? 'GET',
          segments: segments(route.path),
          path: route.path,
          query: new URLSearchParams(target.search),
          headerNames: Object.keys(req.headers),
          upgrade,
        },
        route.connection,
      );
    } catch (err) {
      if (err instanceof KubernetesInspectError || err instanceof HttpInspectError) {
        const masked = hooks.textMasker(principal, connection).mask(err.detail).text;
        throw new Refusal(status(403, 'Forbidden', `refused by the gateway: ${masked}`, err.code));
      }
      throw err;
    }
    const refused = check?.(facts);
    if (refused) throw new Refusal(refused);
    const shownFacts = maskFacts(hooks, principal, connection, facts);
    await decide(hooks, { session, principal, connection, facts, shownFacts, trace });
    trace?.endStage();
    const masker = hooks.masker(principal, connection);
    const allowed = { session, startedAt, principal, route, target, facts, shownFacts, masker };
    return trace ? { ...allowed, trace } : allowed;
  } catch (err) {
    let refusal: Refusal;
    if (err instanceof Refusal) refusal = err;
    else {
      hooks.log?.({ level: 'error', message: 'Kubernetes request failed', session, err });
      refusal = new Refusal(
        status(500, 'InternalError', 'the request could not be processed', 'ERR_INTERNAL'),
      );
    }
    trace?.end({ 'http.response.status_code': refusal.status.code }, refusal.status.code >= 500);
    if (!refusal.audited) {
      try {
        await hooks.audit({
          type: 'request.refused',
          principal,
          connection,
          session,
          body: {
            protocol: 'kubernetes',
            request: session,
            method: req.method ?? '',
            reason: refusal.status.details?.causes[0]?.reason ?? refusal.status.reason,
          },
        });
      } catch (auditErr) {
        hooks.log?.({ level: 'error', message: 'audit append failed', session, err: auditErr });
      }
    }
    throw refusal;
  }
}

/** Decoded path segments; a malformed escape is refused (parseRequestTarget already refused %2F). */
function segments(path: string): string[] {
  try {
    return path
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
  } catch {
    throw new KubernetesInspectError('the path has a malformed percent-encoding');
  }
}

function maskFacts(
  hooks: KubernetesGatewayHooks,
  principal: Principal,
  connection: string,
  f: KubernetesFacts,
): KubernetesFacts {
  const masker = hooks.textMasker(principal, connection);
  const mask = (s: string) => masker.mask(s).text;
  return {
    ...f,
    path: mask(f.path),
    ...(f.name === undefined ? {} : { name: mask(f.name) }),
    ...(f.command
      ? {
          command: {
            ...f.command,
            ...(f.command.commandLine === undefined ? {} : { commandLine: mask(f.command.commandLine) }),
            ...(f.command.files ? { files: f.command.files.map(mask) } : {}),
          },
        }
      : {}),
  };
}

interface DecideInput {
  readonly session: string;
  readonly principal: Principal;
  readonly connection: string;
  readonly facts: KubernetesFacts;
  readonly shownFacts: KubernetesFacts;
  readonly trace: OperationTrace | undefined;
}

/** The command gate (protocols/gate.ts); resolves with the allowing decision or rejects with an audited Refusal. */
async function decide(hooks: KubernetesGatewayHooks, g: DecideInput): Promise<Decision> {
  const { trace, ...command } = g;
  const verdict = await passGate(hooks, {
    ...command,
    ...(trace ? { trace } : {}),
    attempt: requestAttempt('kubernetes', g),
    showText: (text) => hooks.textMasker(g.principal, g.connection).mask(text).text,
  });
  if (verdict.kind === 'allowed') return verdict.decision;
  throw new Refusal(refusalFor(verdict), true);
}

const GATE_STATUS = {
  denied: [403, 'Forbidden', 'ERR_POLICY_DENIED'],
  'approval-unavailable': [403, 'Forbidden', 'ERR_APPROVAL_REQUIRED'],
  'policy-error': [500, 'InternalError', 'ERR_POLICY_ERROR'],
  'audit-unavailable': [503, 'ServiceUnavailable', 'ERR_AUDIT_UNAVAILABLE'],
} as const;

function refusalFor(verdict: GateRefusal): KubernetesStatus {
  const [code, reason, error] = GATE_STATUS[verdict.kind];
  const d = 'decision' in verdict ? verdict.decision : undefined;
  const about =
    d?.program === undefined ? '' : `program ${d.program}${d.features ? `: ${d.features.join(', ')}` : ''}`;
  return status(code, reason, refusalText(verdict, about), error);
}
