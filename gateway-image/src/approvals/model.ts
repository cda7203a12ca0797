/**
 * What the approvals store holds: approval requests (a held command, or a just-in-time access
 * request), the decisions taken on them, and the grants access approvals produce. Plain JSON so
 * the file store and the PostgreSQL store keep the same documents. Nothing here holds a literal
 * from a command: commands are kept normalized (placeholders) and bound by hash.
 */
import type { AuditPrincipal } from '../audit/event';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'abandoned';

/** What an approval covers: this exact command once, or the rule's commands for a while. */
export type ApprovalScope = { readonly kind: 'once' } | { readonly kind: 'window'; readonly until: string };

export interface ApprovalVote {
  readonly approver: AuditPrincipal;
  readonly verdict: 'approve' | 'deny';
  readonly justification: string;
  /** The scope this approver agreed to; the approval takes the narrowest of its approvers'. */
  readonly scope: 'once' | 'window';
  readonly windowMs?: number;
  readonly at: string;
}

/** A summary of one statement's facts: enough for a reviewer to see what it will touch. */
export interface StatementSummary {
  readonly kind: string;
  readonly reads: readonly string[];
  readonly writes: readonly string[];
  readonly columns: readonly string[];
  readonly functions: readonly string[];
  readonly hasWhere?: boolean;
  readonly returnsRows: boolean;
}

export interface ApprovalRecord {
  readonly id: string;
  readonly kind: 'command' | 'access';
  readonly requester: AuditPrincipal;
  readonly connection: string;
  /** The gateway session holding the command (command approvals). */
  readonly session?: string;
  /** The protocol of the held command (command approvals). */
  readonly protocol?: 'postgres' | 'ssh' | 'http' | 'kubernetes';
  /** The command with literals replaced by placeholders. */
  readonly command?: string;
  /** sha256 of the exact command text: a `once` approval covers only that text. */
  readonly commandHash?: string;
  readonly fingerprint?: string;
  readonly statements?: readonly StatementSummary[];
  /** The policy rule that asked for approval (or `access.justInTime`). */
  readonly rule: string;
  /** Why policy holds it, as the rule says. */
  readonly ruleReason: string;
  /** Why the requester needs it (`SET warden.reason`, or the access request). */
  readonly reason?: string;
  /** For access requests: how long the grant should last. */
  readonly durationMs?: number;
  readonly approverGroups: readonly string[];
  readonly minApprovers: number;
  readonly maxWindowMs: number;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly status: ApprovalStatus;
  readonly votes: readonly ApprovalVote[];
  readonly scope?: ApprovalScope;
  readonly decidedAt?: string;
  /** For access approvals: the grant created. */
  readonly grant?: string;
}

export interface GrantRecord {
  readonly id: string;
  readonly subject: string;
  readonly issuer: string;
  readonly connection: string;
  readonly approval: string;
  readonly reason?: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt?: string;
  readonly revokedBy?: AuditPrincipal;
  readonly revokeReason?: string;
  /** Set once the expiry has been noticed and audited (by whichever replica saw it first). */
  readonly expiredAt?: string;
}

/** Whether two principals are the same person or agent (subject within an issuer). */
export function samePrincipal(
  a: { subject: string; issuer: string },
  b: { subject: string; issuer: string },
) {
  return a.subject === b.subject && a.issuer === b.issuer;
}
