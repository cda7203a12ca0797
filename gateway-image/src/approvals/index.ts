/**
 * `createApprovals`: everything approvals and just-in-time access need, built once from the
 * config, with the seams the gateway wires: `awaitApproval` (protocol hold point), `grantSource`
 * (access checker), `configureAdminRoutes` (admin server) and `close`.
 */
import { join } from 'node:path';
import type { GrantSource } from '../access/grants';
import type { ConsoleOptions } from '../admin/console-routes';
import type { Router } from '../admin/router';
import type { SessionDirectory } from '../admin/sessions-routes';
import type { AuditSink } from '../audit/event';
import type { WardenConfig } from '../config/schema';
import type { Authenticator } from '../identity/authenticator';
import type { Decision } from '../policy/decision';
import { addAdminRoutes } from './admin-wiring';
import { FileApprovalStore } from './file-store';
import type { HoldRequest } from './holds';
import { createNotifier, type NotificationTarget } from './notify';
import { PgApprovalStore } from './pg-store';
import { ApprovalService } from './service';
import type { ApprovalStore } from './store';

export { ApprovalError, ApprovalErrorCode } from './decide';
export { FileApprovalStore } from './file-store';
export type { HoldRequest } from './holds';
export type { ApprovalRecord, GrantRecord } from './model';
export { PgApprovalStore, type PgApprovalStoreOptions } from './pg-store';
export { ApprovalService } from './service';
export type { ApprovalStore } from './store';

export interface CreateApprovalsOptions {
  readonly config: WardenConfig;
  readonly audit: AuditSink;
  readonly authenticator: Authenticator;
  /** Resolves secret references (webhook secrets, Slack URLs, the PostgreSQL store's URL). */
  readonly resolveSecret: (ref: string) => Promise<string>;
  /**
   * @default from config.approvals.store (a file store, or the PostgreSQL store at its resolved
   * URL); without it, a file store under `<audit.dir>/approvals`
   */
  readonly store?: ApprovalStore;
  /** Live sessions to list and terminate in the admin API. @default none: the sessions routes are absent */
  readonly liveSessions?: SessionDirectory;
  /** Base URL of the admin listener as reviewers reach it. @default config.listeners.admin.publicUrl */
  readonly consoleUrl?: string;
  /** Called when a notification fails every attempt (it is audited as well). */
  readonly log?: (message: string, detail: Record<string, unknown>) => void;
  /**
   * The reviewer console's OIDC client. `false` serves no console.
   * @default client `warden-console` (public, PKCE) at the first configured issuer, requesting its
   * first audience as the resource
   */
  readonly console?:
    | Partial<Pick<ConsoleOptions, 'issuer' | 'clientId' | 'clientSecret' | 'resource' | 'scope'>>
    | false;
}

export interface Approvals {
  readonly service: ApprovalService;
  awaitApproval(request: HoldRequest): Promise<Decision>;
  readonly grantSource: GrantSource;
  configureAdminRoutes(router: Router): void;
  close(): Promise<void>;
}

export async function createApprovals(o: CreateApprovalsOptions): Promise<Approvals> {
  const { config, audit } = o;
  const a = config.approvals;
  const store = o.store ?? (await openStore(o));
  const targets: NotificationTarget[] = [];
  for (const n of a.notifications) {
    targets.push(
      n.kind === 'webhook'
        ? { kind: 'webhook', url: n.url, secret: await o.resolveSecret(n.secret) }
        : { kind: 'slack', url: await o.resolveSecret(n.url) },
    );
  }
  const consoleUrl = o.consoleUrl ?? config.listeners.admin.publicUrl;
  const notifier = createNotifier({
    targets,
    consoleUrl,
    onFailure: (f) => {
      o.log?.('approval notification failed', f);
      // A lost notification is audited; the request itself stays pending in the store.
      audit
        .append({ type: 'approval.notification-failed', principal: null, body: { ...f } })
        .catch(() => undefined);
    },
  });
  const jit = config.access.justInTime;
  const service = new ApprovalService({
    store,
    audit,
    timeoutMs: a.timeoutMs,
    rules: a.rules,
    ...(jit ? { justInTime: jit } : {}),
    notifier,
    ...(consoleUrl ? { consoleUrl } : {}),
  });
  await service.start();
  return {
    service,
    awaitApproval: service.awaitApproval,
    grantSource: service.grants,
    configureAdminRoutes: (router) => addAdminRoutes(router, o, service),
    async close() {
      await service.close();
      if (!o.store) await store.close();
    },
  };
}

async function openStore(o: CreateApprovalsOptions): Promise<ApprovalStore> {
  const { config } = o;
  const s = config.approvals.store;
  if (!s) return FileApprovalStore.open(join(config.audit.dir, 'approvals'));
  if (s.kind === 'file') return FileApprovalStore.open(s.dir);
  return PgApprovalStore.open({ url: await o.resolveSecret(s.url), ...(o.log ? { log: o.log } : {}) });
}
