/**
 * Approval and grant routes of the admin API. Every route authenticates its caller (OIDC or Warden
 * session token); what a caller may see or do follows the request: its requester, members of its
 * approver groups and admins see it; only approvers decide (never the requester).
 *
 * GET  /v1/approvals?status=pending     → {approvals: [...]}
 * GET  /v1/approvals/:id                → the approval
 * POST /v1/approvals/:id/decision       {verdict, justification, scope?, windowMs?} → the approval
 * POST /v1/access-requests              {connection, durationMs, reason} → 201 the approval
 * GET  /v1/grants                       → {grants: [...]}
 * POST /v1/grants/:id/revoke            {reason} → the grant
 */
import { ApprovalError, ApprovalErrorCode } from '../approvals/decide';
import type { ApprovalRecord, ApprovalStatus, GrantRecord } from '../approvals/model';
import type { ApprovalService } from '../approvals/service';
import type { Authenticator } from '../identity/authenticator';
import type { Principal } from '../identity/principal';
import { HttpProblem } from './problem';
import type { RouteContext, RouteHandler, Router } from './router';

export interface ApprovalRoutesOptions {
  readonly service: ApprovalService;
  readonly authenticator: Authenticator;
  /** Groups that see and revoke everything. @default [] */
  readonly adminGroups?: readonly string[];
  /** Approver groups of just-in-time access (they may list and revoke grants). @default [] */
  readonly grantManagerGroups?: readonly string[];
  /** Who is calling (bearer or console session, see resolveCaller). @default bearer token only */
  readonly caller?: (ctx: RouteContext) => Promise<Principal>;
}

const STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'denied', 'expired', 'abandoned'];
const STATUS_OF: Record<string, number> = {
  [ApprovalErrorCode.notFound]: 404,
  [ApprovalErrorCode.notPending]: 409,
  [ApprovalErrorCode.alreadyVoted]: 409,
  [ApprovalErrorCode.selfApproval]: 403,
  [ApprovalErrorCode.notApprover]: 403,
  [ApprovalErrorCode.invalid]: 400,
};

export function addApprovalRoutes(router: Router, o: ApprovalRoutesOptions): Router {
  const admins = new Set(o.adminGroups ?? []);
  const managers = new Set([...(o.grantManagerGroups ?? []), ...admins]);
  const isAdmin = (p: Principal) => p.groups.some((g) => admins.has(g));
  const mine = (p: Principal, s: { subject: string; issuer: string }) =>
    p.subject === s.subject && p.issuer === s.issuer;
  const canSee = (p: Principal, r: ApprovalRecord) =>
    isAdmin(p) || mine(p, r.requester) || p.groups.some((g) => r.approverGroups.includes(g));
  const canSeeGrant = (p: Principal, g: GrantRecord) => p.groups.some((x) => managers.has(x)) || mine(p, g);

  const route = (
    method: string,
    path: string,
    fn: (ctx: RouteContext, caller: Principal) => Promise<unknown>,
  ) => {
    const handler: RouteHandler = async (ctx) => {
      const caller = await (o.caller ? o.caller(ctx) : o.authenticator.authenticate(ctx.bearer()));
      try {
        const result = (await fn(ctx, caller)) as { status?: number; body: unknown };
        return { status: result.status ?? 200, body: result.body, headers: { 'cache-control': 'no-store' } };
      } catch (err) {
        if (err instanceof ApprovalError)
          throw new HttpProblem(STATUS_OF[err.code] ?? 400, err.code, err.message);
        throw err;
      }
    };
    router.add(method, path, handler);
  };

  route('GET', '/v1/approvals', async (ctx, caller) => {
    const status = ctx.url.searchParams.get('status') ?? undefined;
    if (status !== undefined && !STATUSES.includes(status as ApprovalStatus)) {
      throw new HttpProblem(400, 'ERR_QUERY_INVALID', `status must be one of ${STATUSES.join(', ')}`);
    }
    const all = await o.service.list(status as ApprovalStatus | undefined);
    return { body: { approvals: all.filter((r) => canSee(caller, r)) } };
  });

  route('GET', '/v1/approvals/:id', async (ctx, caller) => {
    const r = await o.service.get(ctx.params.id!);
    // Not found and not yours look the same: ids of others' requests are not confirmed.
    if (!r || !canSee(caller, r)) throw new HttpProblem(404, ApprovalErrorCode.notFound, 'no such approval');
    return { body: r };
  });

  route('POST', '/v1/approvals/:id/decision', async (ctx, caller) => {
    const body = object(await ctx.json());
    const verdict = body.verdict;
    if (verdict !== 'approve' && verdict !== 'deny') {
      throw new HttpProblem(400, 'ERR_BODY_INVALID', 'verdict must be "approve" or "deny"');
    }
    const scope = body.scope ?? 'once';
    if (scope !== 'once' && scope !== 'window') {
      throw new HttpProblem(400, 'ERR_BODY_INVALID', 'scope must be "once" or "window"');
    }
    const windowMs = body.windowMs;
    if (windowMs !== undefined && typeof windowMs !== 'number') {
      throw new HttpProblem(400, 'ERR_BODY_INVALID', 'windowMs must be a number');
    }
    const record = await o.service.decide(caller, ctx.params.id!, {
      verdict,
      justification: typeof body.justification === 'string' ? body.justification : '',
      scope,
      ...(windowMs === undefined ? {} : { windowMs }),
    });
    return { body: record };
  });

  route('POST', '/v1/access-requests', async (ctx, caller) => {
    const body = object(await ctx.json());
    const { connection, durationMs, reason } = body;
    if (typeof connection !== 'string' || typeof durationMs !== 'number' || typeof reason !== 'string') {
      throw new HttpProblem(
        400,
        'ERR_BODY_INVALID',
        'body must be {"connection": string, "durationMs": number, "reason": string}',
      );
    }
    return { status: 201, body: await o.service.requestAccess(caller, connection, durationMs, reason) };
  });

  route('GET', '/v1/grants', async (_ctx, caller) => {
    const grants = await o.service.listGrants();
    return { body: { grants: grants.filter((g) => canSeeGrant(caller, g)) } };
  });

  route('POST', '/v1/grants/:id/revoke', async (ctx, caller) => {
    const body = object((await ctx.json()) ?? {});
    const grant = (await o.service.listGrants()).find((g) => g.id === ctx.params.id);
    if (!grant || !canSeeGrant(caller, grant))
      throw new HttpProblem(404, ApprovalErrorCode.notFound, 'no such grant');
    const reason =
      typeof body.reason === 'string' && body.reason.trim() !== '' ? body.reason.trim() : 'revoked';
    return { body: await o.service.revokeGrant(caller, grant.id, reason.slice(0, 2000)) };
  });

  return router;
}

function object(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpProblem(400, 'ERR_BODY_INVALID', 'body must be a JSON object');
  }
  return body as Record<string, unknown>;
}
