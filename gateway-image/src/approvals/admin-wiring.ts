/**
 * What approvals add to the admin listener: the approvals and grants API, the reviewer console and
 * the reviewer views (audit timeline, sessions, recordings). One console session store serves
 * them all, so the page's cookie works on every route and a bearer token works as before.
 */
import { addApprovalRoutes } from '../admin/approvals-routes';
import { addConsoleRoutes } from '../admin/console-routes';
import { ConsoleSessions, resolveCaller } from '../admin/console-sessions';
import { addReviewRoutes } from '../admin/review-routes';
import type { Router } from '../admin/router';
import { addSessionRoutes } from '../admin/sessions-routes';
import { principalSummary } from '../identity/principal';
import type { CreateApprovalsOptions } from './index';
import type { ApprovalService } from './service';

export function addAdminRoutes(router: Router, o: CreateApprovalsOptions, service: ApprovalService): Router {
  const { config, authenticator } = o;
  const adminGroups = config.identity.sessionTokens?.adminGroups ?? [];
  const jitApprovers = config.access.justInTime?.approverGroups ?? [];
  const sessions =
    o.console === false ? undefined : new ConsoleSessions({ secureCookies: !!config.listeners.admin.tls });
  const caller = resolveCaller(authenticator, sessions);
  addApprovalRoutes(router, {
    service,
    authenticator,
    adminGroups,
    grantManagerGroups: jitApprovers,
    caller,
  });
  const reviewerGroups = [
    ...new Set([...adminGroups, ...jitApprovers, ...config.approvals.rules.flatMap((r) => r.approverGroups)]),
  ];
  addReviewRoutes(router, {
    caller,
    reviewerGroups,
    auditDir: config.audit.dir,
    ...(config.recording?.enabled ? { recordingDir: config.recording.dir } : {}),
  });
  if (o.liveSessions) {
    addSessionRoutes(router, {
      caller,
      sessions: o.liveSessions,
      reviewerGroups,
      adminGroups,
      audit: o.audit,
      approvals: service,
    });
  }
  if (sessions && o.console !== false) {
    const first = config.identity.issuers[0];
    const c = o.console ?? {};
    const resource = c.resource ?? first?.audiences[0];
    const publicUrl = o.consoleUrl ?? config.listeners.admin.publicUrl;
    addConsoleRoutes(router, {
      issuer: c.issuer ?? first!.issuer,
      ...(c.clientId ? { clientId: c.clientId } : {}),
      ...(c.clientSecret ? { clientSecret: c.clientSecret } : {}),
      ...(resource ? { resource } : {}),
      ...(c.scope ? { scope: c.scope } : {}),
      ...(publicUrl ? { publicUrl } : {}),
      authenticator,
      sessions,
      onSignIn: async (p) => {
        await o.audit.append({ type: 'console.signed-in', principal: principalSummary(p), body: {} });
      },
    });
  }
  return router;
}
