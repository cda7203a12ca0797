/**
 * Approvals as one object the gateway wires in: the hold point for protocol adapters, decisions
 * and access requests for the admin API and CLI, just-in-time grants for the access checker, and a
 * sweep that expires unattended access requests and audits grant expiry.
 */
import { randomUUID } from 'node:crypto';
import { JitGrantSource } from '../access/jit';
import type { AuditSink } from '../audit/event';
import type { Principal } from '../identity/principal';
import { principalSummary } from '../identity/principal';
import type { Decision } from '../policy/decision';
import { ApprovalError, ApprovalErrorCode, applyVote, type VoteInput } from './decide';
import { type ApprovalRuleConfig, type HoldRequest, holdForApproval, requestedBody } from './holds';
import type { ApprovalRecord, ApprovalStatus, GrantRecord } from './model';
import type { Notifier } from './notify';
import type { ApprovalStore } from './store';

export interface ApprovalServiceOptions {
  readonly store: ApprovalStore;
  readonly audit: AuditSink;
  /** @default 600000 (10 min) */
  readonly timeoutMs?: number;
  readonly rules?: readonly ApprovalRuleConfig[];
  /** `access.justInTime` from the config; absent disables access requests. */
  readonly justInTime?: { readonly approverGroups: readonly string[]; readonly maxDurationMs: number };
  readonly notifier?: Notifier;
  /** Public base URL of the admin listener, for links in notices and notifications. */
  readonly consoleUrl?: string;
  /** How often unattended requests and ended grants are swept. @default 5000 */
  readonly sweepIntervalMs?: number;
  readonly now?: () => Date;
}

export class ApprovalService {
  readonly grants: JitGrantSource;
  private readonly now: () => Date;
  private readonly timeoutMs: number;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly o: ApprovalServiceOptions) {
    this.now = o.now ?? (() => new Date());
    this.timeoutMs = o.timeoutMs ?? 600_000;
    this.grants = new JitGrantSource(o.store);
  }

  async start(): Promise<void> {
    await this.grants.start();
    const every = this.o.sweepIntervalMs ?? 5000;
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), every);
    this.sweeper.unref();
  }

  /** The hold point (`awaitApproval`). */
  awaitApproval = (req: HoldRequest): Promise<Decision> =>
    holdForApproval(
      {
        rules: this.o.rules ?? [],
        timeoutMs: this.timeoutMs,
        store: this.o.store,
        audit: this.o.audit,
        notifier: this.o.notifier,
        consoleUrl: this.o.consoleUrl,
        now: this.now,
      },
      req,
    );

  get(id: string): Promise<ApprovalRecord | undefined> {
    return this.o.store.getApproval(id);
  }

  list(status?: ApprovalStatus): Promise<ApprovalRecord[]> {
    return this.o.store.listApprovals(status ? { status } : {});
  }

  /** One approver's vote; audited before it is stored, so a decision never goes unrecorded. */
  async decide(approver: Principal, id: string, input: VoteInput): Promise<ApprovalRecord> {
    const who = principalSummary(approver);
    let audited: Promise<unknown> = Promise.resolve();
    const updated = await this.o.store.updateApproval(id, (current) => {
      const next = applyVote(current, who, input, this.now());
      audited = this.o.audit.append({
        type: 'approval.decided',
        principal: who,
        connection: current.connection,
        session: current.session ?? null,
        body: {
          approval: id,
          requester: current.requester.subject,
          verdict: input.verdict,
          justification: next.votes.at(-1)!.justification,
          status: next.status,
          ...(next.scope ? { scope: next.scope } : {}),
        },
      });
      return next;
    });
    await audited;
    if (!updated) throw new ApprovalError(ApprovalErrorCode.notFound, `no approval ${id}`);
    if (updated.status !== 'pending') this.o.notifier?.notify('approval.decided', updated);
    if (updated.kind === 'access' && updated.status === 'approved')
      return this.grantAccess(updated, approver);
    return updated;
  }

  /** `warden access request`: an approval that, once approved, becomes a grant with an expiry. */
  async requestAccess(
    principal: Principal,
    connection: string,
    durationMs: number,
    reason: string,
  ): Promise<ApprovalRecord> {
    const jit = this.o.justInTime;
    if (!jit) throw new ApprovalError(ApprovalErrorCode.invalid, 'just-in-time access is not enabled');
    if (!Number.isInteger(durationMs) || durationMs <= 0 || durationMs > jit.maxDurationMs) {
      throw new ApprovalError(ApprovalErrorCode.invalid, `duration must be 1..${jit.maxDurationMs} ms`);
    }
    if (reason.trim() === '') throw new ApprovalError(ApprovalErrorCode.invalid, 'a reason is required');
    const now = this.now();
    const record: ApprovalRecord = {
      id: randomUUID(),
      kind: 'access',
      requester: principalSummary(principal),
      connection,
      rule: 'access.justInTime',
      ruleReason: 'just-in-time access',
      reason: reason.trim().slice(0, 2000),
      durationMs,
      approverGroups: [...jit.approverGroups],
      minApprovers: 1,
      maxWindowMs: durationMs,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.timeoutMs).toISOString(),
      status: 'pending',
      votes: [],
    };
    await this.o.audit.append({
      type: 'access.requested',
      principal: record.requester,
      connection,
      body: requestedBody(record),
    });
    await this.o.store.createApproval(record);
    this.o.notifier?.notify('approval.requested', record);
    return record;
  }

  listGrants(): Promise<GrantRecord[]> {
    return this.o.store.listGrants();
  }

  async revokeGrant(by: Principal, id: string, reason: string): Promise<GrantRecord> {
    const who = principalSummary(by);
    const at = this.now().toISOString();
    const grant = await this.o.store.updateGrant(id, (g) =>
      g.revokedAt === undefined ? { ...g, revokedAt: at, revokedBy: who, revokeReason: reason } : undefined,
    );
    if (!grant) throw new ApprovalError(ApprovalErrorCode.notFound, `no grant ${id}`);
    if (grant.revokedAt !== at)
      throw new ApprovalError(ApprovalErrorCode.notPending, `grant ${id} is already revoked`);
    await this.o.audit.append({
      type: 'access.revoked',
      principal: who,
      connection: grant.connection,
      body: { grant: id, subject: grant.subject, reason },
    });
    await this.grants.refresh();
    return grant;
  }

  /** Expires unattended access requests and audits each grant's expiry once. */
  async sweep(): Promise<void> {
    const now = this.now();
    const at = now.toISOString();
    for (const r of await this.o.store.listApprovals({ status: 'pending' })) {
      if (r.kind !== 'access' || Date.parse(r.expiresAt) > now.getTime()) continue;
      const done = await this.o.store.updateApproval(r.id, (c) =>
        c.status === 'pending' ? { ...c, status: 'expired', decidedAt: at } : undefined,
      );
      if (done?.decidedAt === at && done.status === 'expired') {
        await this.o.audit.append({
          type: 'approval.expired',
          principal: r.requester,
          connection: r.connection,
          body: { approval: r.id, kind: 'access' },
        });
      }
    }
    for (const g of await this.o.store.listGrants()) {
      if (g.expiredAt || g.revokedAt || Date.parse(g.expiresAt) > now.getTime()) continue;
      const done = await this.o.store.updateGrant(g.id, (c) =>
        c.expiredAt ? undefined : { ...c, expiredAt: at },
      );
      if (done?.expiredAt === at) {
        await this.o.audit.append({
          type: 'access.expired',
          principal: null,
          connection: g.connection,
          body: { grant: g.id, subject: g.subject, expiresAt: g.expiresAt },
        });
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.grants.close();
    await this.o.notifier?.close();
  }

  private async grantAccess(approval: ApprovalRecord, approver: Principal): Promise<ApprovalRecord> {
    const now = this.now();
    const grant: GrantRecord = {
      id: randomUUID(),
      subject: approval.requester.subject,
      issuer: approval.requester.issuer,
      connection: approval.connection,
      approval: approval.id,
      ...(approval.reason ? { reason: approval.reason } : {}),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + (approval.durationMs ?? 0)).toISOString(),
    };
    await this.o.audit.append({
      type: 'access.granted',
      principal: principalSummary(approver),
      connection: grant.connection,
      body: { grant: grant.id, approval: approval.id, subject: grant.subject, expiresAt: grant.expiresAt },
    });
    await this.o.store.putGrant(grant);
    await this.grants.refresh();
    const updated = await this.o.store.updateApproval(approval.id, (r) => ({ ...r, grant: grant.id }));
    return updated ?? approval;
  }
}
