/**
 * Live sessions in the admin API: reviewers (admin and approver groups) see them; only admins end
 * them. Postgres and SSH sessions are listed from the gateway's live-session registry, which in a
 * multi-process gateway holds every worker's sessions; HTTP requests are not sessions and are not
 * listed. Each gateway replica lists the sessions it serves.
 *
 * GET  /v1/sessions                    → {sessions: [...], canTerminate}
 * POST /v1/sessions/:id/terminate      {reason?} → {status: 'terminated', session, terminatedBy, reason?}
 *
 * A terminated session's client is told who ended it and why (Postgres: FATAL 57P01; SSH: a
 * `warden:` line on stderr) and its `session.end` event says `reason: 'terminated'` with
 * `terminatedBy` and `terminationReason`. The administrator's act is audited as
 * `session.terminated` once the session has been told to end, as `access.revoked` follows a grant
 * revocation; if that append fails the request fails, and the session's own `session.end` still
 * records who ended it.
 */
import type { ApprovalService } from '../approvals/service';
import type { AuditSink } from '../audit/event';
import type { LiveSessionRecord } from '../gateway/live-sessions';
import { type Principal, principalSummary } from '../identity/principal';
import type { Termination } from '../protocols/live-session';
import { HttpProblem } from './problem';
import type { RouteContext, Router } from './router';

/** What the routes need of the live-session registry. */
export interface SessionDirectory {
  list(): readonly LiveSessionRecord[];
  /** Resolves with the session ended, or undefined when there is no such live session. */
  terminate(session: string, termination: Termination): Promise<LiveSessionRecord | undefined>;
}

export interface SessionRoutesOptions {
  readonly caller: (ctx: RouteContext) => Promise<Principal>;
  readonly sessions: SessionDirectory;
  /** Groups that see live sessions (admins and approvers). */
  readonly reviewerGroups: readonly string[];
  /** Groups that may terminate them (identity.sessionTokens.adminGroups). */
  readonly adminGroups: readonly string[];
  readonly audit: AuditSink;
  /** For the statements each session has held for approval. @default none listed */
  readonly approvals?: ApprovalService;
}

/** The longest reason passed on: it is shown to the client in one error line. */
const MAX_REASON_CHARS = 500;

export function addSessionRoutes(router: Router, o: SessionRoutesOptions): Router {
  const reviewers = new Set(o.reviewerGroups);
  const admins = new Set(o.adminGroups);
  const isAdmin = (p: Principal) => p.groups.some((g) => admins.has(g));
  const noStore = { 'cache-control': 'no-store' };

  router.add('GET', '/v1/sessions', async (ctx) => {
    const who = await o.caller(ctx);
    if (!who.groups.some((g) => reviewers.has(g) || admins.has(g))) {
      throw new HttpProblem(403, 'ERR_FORBIDDEN', 'this view is for reviewers (admin or approver groups)');
    }
    const held = o.approvals ? await o.approvals.list('pending') : [];
    const sessions = o.sessions.list().map((s) => ({
      ...s,
      holding: held.filter((h) => h.session === s.session).map((h) => h.id),
      terminable: true,
    }));
    return { status: 200, headers: noStore, body: { sessions, canTerminate: isAdmin(who) } };
  });

  router.add('POST', '/v1/sessions/:id/terminate', async (ctx) => {
    const who = await o.caller(ctx);
    if (!isAdmin(who)) {
      throw new HttpProblem(403, 'ERR_FORBIDDEN', 'only administrators may terminate sessions');
    }
    const reason = reasonOf(await ctx.json());
    const termination: Termination = { by: who.subject, ...(reason ? { reason } : {}) };
    const ended = await o.sessions.terminate(ctx.params.id!, termination);
    if (!ended) throw new HttpProblem(404, 'ERR_SESSION_NOT_FOUND', 'no such live session');
    await o.audit.append({
      type: 'session.terminated',
      principal: principalSummary(who),
      connection: ended.connection,
      session: ended.session,
      body: { protocol: ended.protocol, subject: ended.principal.subject, ...(reason ? { reason } : {}) },
    });
    return {
      status: 200,
      headers: noStore,
      body: {
        status: 'terminated',
        session: ended,
        terminatedBy: who.subject,
        ...(reason ? { reason } : {}),
      },
    };
  });

  return router;
}

/** The optional `reason`: one line of at most MAX_REASON_CHARS, control characters removed. */
function reasonOf(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpProblem(400, 'ERR_BODY_INVALID', 'body must be a JSON object');
  }
  const { reason } = body as { reason?: unknown };
  if (reason === undefined || reason === null) return undefined;
  if (typeof reason !== 'string') throw new HttpProblem(400, 'ERR_BODY_INVALID', 'reason must be a string');
  const line = reason.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return line === '' ? undefined : line.slice(0, MAX_REASON_CHARS);
}
