/**
 * The hooks every protocol adapter gets the same way: identity, access, secrets, and the command
 * gate's steps (policy, approvals, audit, log, tracing). Each `*-hooks.ts` spreads these and adds
 * what only its protocol needs.
 */
import type { Principal } from '../identity/principal';
import type { Facts } from '../inspect/facts';
import type { Decision } from '../policy/decision';
import type { ApprovalRequest, GateAuditInput } from '../protocols/gate';
import type { OperationTracer } from '../tracing';
import { type HookLogEntry, hookLog } from './hook-log';
import type { GatewayServices } from './services';

/** What a grant allows now: when it ends and a signal for its revocation (sessions end then). */
export type GrantCheck =
  | { readonly allowed: true; readonly expiresAt?: Date; readonly revoked?: AbortSignal }
  | { readonly allowed: false; readonly reason: string };

export interface AdapterHooks {
  authenticate(token: string): Promise<Principal>;
  /** Checked at login and, on HTTP and Kubernetes, on every request. */
  authorize(principal: Principal, connection: string): GrantCheck;
  resolveSecret(ref: string): Promise<string>;
  decide(principal: Principal, connection: string, facts: Facts): Decision;
  awaitApproval?(request: ApprovalRequest): Promise<Decision>;
  audit(input: GateAuditInput): Promise<void>;
  log(entry: HookLogEntry): void;
  readonly tracer?: OperationTracer;
}

/**
 * A result (`deferred`) rides with the next durable append; an attempt is durable before `audit`
 * resolves. Bodies are the adapters' own, typed by audit/bodies.ts (SSH, HTTP and Kubernetes name
 * their `protocol` in each; Postgres events go without it, their types say the protocol).
 */
export function adapterHooks(services: GatewayServices): AdapterHooks {
  const { approvals } = services;
  return {
    authenticate: (token) => services.authenticator.authenticate(token),
    authorize(principal, connection) {
      const r = services.access.check(principal, connection);
      if (!r.allowed) return { allowed: false, reason: r.reason };
      return {
        allowed: true,
        ...(r.expiresAt ? { expiresAt: r.expiresAt } : {}),
        ...(r.revoked ? { revoked: r.revoked } : {}),
      };
    },
    resolveSecret: (ref) => services.secrets.resolve(ref),
    decide: (principal, connection, facts) => services.policy.decide(principal, connection, facts),
    ...(approvals ? { awaitApproval: (r: ApprovalRequest) => approvals.awaitApproval(r) } : {}),
    async audit(input) {
      const { deferred, ...event } = input;
      const { audit } = services;
      await (deferred && audit.appendDeferred ? audit.appendDeferred(event) : audit.append(event));
    },
    log: hookLog(services.logger),
    ...(services.tracer ? { tracer: services.tracer } : {}),
  };
}
