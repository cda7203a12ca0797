/**
 * The rules of a decision, as a pure function over one record: only members of the approver
 * groups vote, never the requester, each approver once, a justification always. One deny ends the
 * request; approvals count distinct approvers until `minApprovers` is reached. The scope granted
 * is the narrowest any approver agreed to (once beats a window; the shortest window wins).
 */
import type { AuditPrincipal } from '../audit/event';
import { WardenError } from '../errors';
import type { ApprovalRecord, ApprovalScope, ApprovalVote } from './model';
import { samePrincipal } from './model';

/** Why a decision was refused; `code` maps to an HTTP status, `message` is safe to show the caller. */
export class ApprovalError extends WardenError {}

export const ApprovalErrorCode = {
  notFound: 'ERR_APPROVAL_NOT_FOUND',
  notPending: 'ERR_APPROVAL_NOT_PENDING',
  selfApproval: 'ERR_APPROVAL_SELF',
  notApprover: 'ERR_APPROVAL_NOT_APPROVER',
  alreadyVoted: 'ERR_APPROVAL_ALREADY_VOTED',
  invalid: 'ERR_APPROVAL_INVALID',
} as const;

export interface VoteInput {
  readonly verdict: 'approve' | 'deny';
  readonly justification: string;
  /** @default 'once' */
  readonly scope?: 'once' | 'window';
  /** For a window: how long, capped by the rule's maxWindowMs. @default the rule's maxWindowMs */
  readonly windowMs?: number;
}

const MAX_JUSTIFICATION = 2000;

export function applyVote(
  record: ApprovalRecord,
  approver: AuditPrincipal,
  input: VoteInput,
  now: Date,
): ApprovalRecord {
  const fail = (code: string, message: string): never => {
    throw new ApprovalError(code, message);
  };
  if (record.status !== 'pending' || Date.parse(record.expiresAt) <= now.getTime()) {
    fail(ApprovalErrorCode.notPending, `approval ${record.id} is ${record.status}, not pending`);
  }
  if (samePrincipal(approver, record.requester)) {
    fail(ApprovalErrorCode.selfApproval, 'you cannot decide your own request');
  }
  if (!approver.groups.some((g) => record.approverGroups.includes(g))) {
    fail(
      ApprovalErrorCode.notApprover,
      `deciding this request requires membership of ${record.approverGroups.join(' or ')}`,
    );
  }
  if (record.votes.some((v) => samePrincipal(v.approver, approver))) {
    fail(ApprovalErrorCode.alreadyVoted, 'you have already decided this request');
  }
  const justification = typeof input.justification === 'string' ? input.justification.trim() : '';
  if (justification === '' || justification.length > MAX_JUSTIFICATION) {
    fail(ApprovalErrorCode.invalid, `a justification (1..${MAX_JUSTIFICATION} characters) is required`);
  }
  const scope = input.scope ?? 'once';
  let windowMs: number | undefined;
  if (scope === 'window') {
    if (record.kind === 'access') fail(ApprovalErrorCode.invalid, 'access requests take no window');
    windowMs = input.windowMs ?? record.maxWindowMs;
    if (!Number.isInteger(windowMs) || windowMs <= 0 || windowMs > record.maxWindowMs) {
      fail(ApprovalErrorCode.invalid, `the window must be 1..${record.maxWindowMs} ms`);
    }
  }
  const vote: ApprovalVote = {
    approver,
    verdict: input.verdict,
    justification,
    scope,
    ...(windowMs === undefined ? {} : { windowMs }),
    at: now.toISOString(),
  };
  const votes = [...record.votes, vote];
  const at = now.toISOString();
  if (input.verdict === 'deny') return { ...record, votes, status: 'denied', decidedAt: at };
  if (input.verdict !== 'approve') fail(ApprovalErrorCode.invalid, 'verdict must be approve or deny');
  const approvals = votes.filter((v) => v.verdict === 'approve');
  if (approvals.length < record.minApprovers) return { ...record, votes };
  return { ...record, votes, status: 'approved', decidedAt: at, scope: narrowest(approvals, now) };
}

function narrowest(votes: readonly ApprovalVote[], now: Date): ApprovalScope {
  if (votes.some((v) => v.scope === 'once')) return { kind: 'once' };
  const ms = Math.min(...votes.map((v) => v.windowMs ?? 0));
  return { kind: 'window', until: new Date(now.getTime() + ms).toISOString() };
}
