/**
 * The hold point: a command policy sends to approval waits here, in its live session, until the
 * request is decided (through any replica sharing the store), it times out (deny), or the client
 * goes away (abandoned). Every step is audited before the command moves on.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ApprovalRequestedBody } from '../audit/bodies';
import type { AuditSink } from '../audit/event';
import { WardenError } from '../errors';
import type { Principal } from '../identity/principal';
import { principalSummary } from '../identity/principal';
import type { Facts } from '../inspect/facts';
import type { Decision } from '../policy/decision';
import { heldCommand } from './held-command';
import type { ApprovalRecord } from './model';
import { samePrincipal } from './model';
import { consoleLink, type Notifier } from './notify';
import type { ApprovalStore } from './store';

/** A held command of any protocol (every adapter's approval request satisfies it). */
export interface HoldRequest {
  readonly principal: Principal;
  readonly connection: string;
  readonly session: string;
  /** The facts as audited (identifiers masked): what the approver is shown, via heldCommand. */
  readonly facts: Facts;
  readonly decision: Extract<Decision, { outcome: 'require-approval' }>;
  /** The exact command text; a `once` approval is bound to its hash. @default what approvers are shown */
  readonly command?: string;
  /** Why the requester needs this (`SET warden.reason`). */
  readonly reason?: string;
  /** Tells the waiting client the approval id and where to approve. */
  notice?(notice: { readonly message: string; readonly detail?: string; readonly hint?: string }): void;
  /** Aborted when the client's connection ends: the request is marked abandoned. */
  readonly signal?: AbortSignal;
}

export interface ApprovalRuleConfig {
  readonly policyRules: readonly string[];
  readonly approverGroups: readonly string[];
  readonly minApprovers: number;
  readonly maxWindowMs: number;
}

export interface HoldOptions {
  readonly rules: readonly ApprovalRuleConfig[];
  readonly timeoutMs: number;
  readonly store: ApprovalStore;
  readonly audit: AuditSink;
  readonly notifier?: Notifier;
  readonly consoleUrl?: string;
  readonly now: () => Date;
}

export function commandHash(connection: string, command: string): string {
  return createHash('sha256').update(connection).update('\0').update(command).digest('hex');
}

/** What the client is told when a command cannot be held because the store cannot be reached. */
const STORE_DOWN =
  'the approvals store is unavailable, so the command could not be held for an approver; nothing ran — try again later';

export async function holdForApproval(o: HoldOptions, req: HoldRequest): Promise<Decision> {
  try {
    return await hold(o, req);
  } catch (err) {
    // Fail closed with a reason the client can act on; anything else is the caller's to log.
    if (!(err instanceof WardenError && err.code === 'ERR_APPROVAL_STORE')) throw err;
    return { outcome: 'deny', rule: req.decision.rule, reason: STORE_DOWN };
  }
}

async function hold(o: HoldOptions, req: HoldRequest): Promise<Decision> {
  const { decision, principal, connection, session } = req;
  const deny = (reason: string): Decision => ({ outcome: 'deny', rule: decision.rule, reason });
  const rule = o.rules.find((r) => r.policyRules.includes(decision.rule) || r.policyRules.includes('*'));
  if (!rule) return deny(`${decision.reason}; no approvers are configured for rule "${decision.rule}"`);
  const auditAs = { principal: principalSummary(principal), connection, session };
  const now = o.now();
  const held = heldCommand(req.facts);

  // A window approved earlier for this principal, connection and rule covers this command.
  const windows = await o.store.listApprovals({ status: 'approved' });
  const win = windows.find(
    (r) =>
      r.kind === 'command' &&
      r.scope?.kind === 'window' &&
      Date.parse(r.scope.until) > now.getTime() &&
      r.rule === decision.rule &&
      r.connection === connection &&
      samePrincipal(r.requester, principal),
  );
  if (win) {
    await o.audit.append({
      ...auditAs,
      type: 'approval.used',
      body: { approval: win.id, scope: 'window', fingerprint: held.fingerprint },
    });
    return { outcome: 'allow', rule: decision.rule };
  }

  const record: ApprovalRecord = {
    id: randomUUID(),
    kind: 'command',
    requester: principalSummary(principal),
    connection,
    session,
    protocol: held.protocol,
    command: held.text,
    commandHash: commandHash(connection, req.command ?? held.text),
    fingerprint: held.fingerprint,
    ...(held.statements ? { statements: held.statements } : {}),
    rule: decision.rule,
    ruleReason: decision.reason,
    ...(req.reason ? { reason: req.reason } : {}),
    approverGroups: [...rule.approverGroups],
    minApprovers: rule.minApprovers,
    maxWindowMs: rule.maxWindowMs,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + o.timeoutMs).toISOString(),
    status: 'pending',
    votes: [],
  };
  // Audited before it is stored or announced: an unrecordable request is refused (gate denies).
  await o.audit.append({ ...auditAs, type: 'approval.requested', body: requestedBody(record) });
  await o.store.createApproval(record);
  o.notifier?.notify('approval.requested', record);
  const link = o.consoleUrl ? consoleLink(o.consoleUrl, record.id) : undefined;
  req.notice?.({
    message: `Warden is holding this statement for approval ${record.id} (rule "${decision.rule}")`,
    detail: link
      ? `An approver can decide at ${link}`
      : `An approver can decide with: warden approvals approve ${record.id}`,
    hint: `Waiting up to ${Math.round(o.timeoutMs / 1000)} s; cancel the statement to withdraw the request.`,
  });

  const final = await waitForDecision(o, record, req.signal);
  const ended = { approval: record.id, status: final.status };
  if (final.status === 'approved') {
    await o.audit.append({
      ...auditAs,
      type: 'approval.used',
      body: { ...ended, scope: final.scope?.kind ?? 'once', commandHash: record.commandHash ?? null },
    });
    return { outcome: 'allow', rule: decision.rule };
  }
  if (final.status === 'denied') {
    const v = final.votes.find((x) => x.verdict === 'deny');
    return deny(
      `denied by ${v?.approver.subject ?? 'an approver'}: ${v?.justification ?? 'no reason given'}`,
    );
  }
  if (final.status === 'expired') {
    await o.audit.append({ ...auditAs, type: 'approval.expired', body: ended });
    return deny(
      `approval ${record.id} timed out after ${Math.round(o.timeoutMs / 1000)} s without a decision`,
    );
  }
  await o.audit.append({ ...auditAs, type: 'approval.abandoned', body: ended });
  return deny(`approval ${record.id} was abandoned`);
}

/** Resolves once the record leaves `pending`: decided elsewhere, timed out here, or abandoned. */
function waitForDecision(
  o: HoldOptions,
  record: ApprovalRecord,
  signal?: AbortSignal,
): Promise<ApprovalRecord> {
  return new Promise<ApprovalRecord>((resolve, reject) => {
    let done = false;
    const finish = (r: ApprovalRecord) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const check = () => {
      o.store.getApproval(record.id).then(
        (r) => {
          if (r && r.status !== 'pending') finish(r);
        },
        // The store is unreachable: keep waiting (fail closed). The next notice — a shared store
        // replays missed ones when it reconnects — or the timeout ends the wait.
        () => undefined,
      );
    };
    const end = (status: 'expired' | 'abandoned') => {
      o.store
        .updateApproval(record.id, (r) =>
          r.status === 'pending' ? { ...r, status, decidedAt: o.now().toISOString() } : undefined,
        )
        // A decision that won the race stands; otherwise this ends the request. With the store
        // unreachable the wait ends here all the same (refused); the store's housekeeping marks
        // the record abandoned once it is back.
        .then(
          (r) => finish(r ?? { ...record, status }),
          (err: unknown) =>
            err instanceof WardenError && err.code === 'ERR_APPROVAL_STORE'
              ? finish({ ...record, status })
              : reject(err),
        );
    };
    const unsubscribe = o.store.subscribe((c) => {
      if (c.kind === 'approval' && c.id === record.id) check();
    });
    const timer = setTimeout(
      () => end('expired'),
      Math.max(0, Date.parse(record.expiresAt) - o.now().getTime()),
    );
    const onAbort = () => end('abandoned');
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    check();
  });
}

export function requestedBody(r: ApprovalRecord): ApprovalRequestedBody {
  return {
    approval: r.id,
    kind: r.kind,
    rule: r.rule,
    ...(r.protocol === undefined ? {} : { protocol: r.protocol }),
    ...(r.command === undefined ? {} : { command: r.command, commandHash: r.commandHash ?? null }),
    ...(r.fingerprint === undefined ? {} : { fingerprint: r.fingerprint }),
    ...(r.statements === undefined ? {} : { statements: r.statements }),
    ...(r.reason === undefined ? {} : { reason: r.reason }),
    ...(r.durationMs === undefined ? {} : { durationMs: r.durationMs }),
    approverGroups: r.approverGroups,
    minApprovers: r.minApprovers,
    expiresAt: r.expiresAt,
  };
}
