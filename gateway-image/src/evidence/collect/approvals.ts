/**
 * Every command held for approval: who asked, under which rule, what it was (statement kinds and
 * the relations they write, or the HTTP method; never the command text), each approver's vote and
 * how it ended. A hold's own `command` field is normalized text that may still carry literals
 * from an SSH line or an HTTP path, so it is not copied.
 */
import type { ApprovalRequestedBody } from '../../audit/bodies';
import type { AuditEvent } from '../../audit/event';
import type { HeldCommandEvidence } from '../model';
import { type AttemptEvent, type Collector, decisionOf, isAttempt } from './collector';

type Mutable = { -readonly [K in keyof HeldCommandEvidence]: HeldCommandEvidence[K] } & {
  decisions: HeldCommandEvidence['decisions'][number][];
};

/** "update public.patients; delete public.billing", from a hold's statement summaries. */
function describeStatements(statements: ApprovalRequestedBody['statements']): string | undefined {
  if (!statements || statements.length === 0) return undefined;
  return statements.map((s) => [s.kind, ...s.writes].join(' ')).join('; ');
}

export class HeldCommandCollector implements Collector<HeldCommandEvidence[]> {
  private readonly byApproval = new Map<string, Mutable>();
  /** The attempt that follows a hold names it (approvalRule) but not its id: matched by session. */
  private readonly pendingBySession = new Map<string, Mutable[]>();

  add(e: AuditEvent): void {
    if (isAttempt(e)) {
      this.attempt(e);
      return;
    }
    if (e.type === 'approval.requested') {
      const { approval } = e.body;
      const entry: Mutable = {
        approval,
        requestedAt: e.time,
        requester: e.principal?.subject ?? 'unknown',
        connection: e.connection,
        rule: e.body.rule,
        what:
          describeStatements(e.body.statements) ?? (e.connection ? `command on ${e.connection}` : 'command'),
        status: 'pending',
        decisions: [],
        outcome: 'not run',
      };
      this.byApproval.set(approval, entry);
      if (e.session)
        this.pendingBySession.set(e.session, [...(this.pendingBySession.get(e.session) ?? []), entry]);
      return;
    }
    if (e.type === 'approval.decided') {
      const entry = this.byApproval.get(e.body.approval);
      entry?.decisions.push({ by: e.principal?.subject ?? 'unknown', verdict: e.body.verdict, at: e.time });
      if (entry) entry.status = e.body.status;
    } else if (e.type === 'approval.expired' || e.type === 'approval.abandoned') {
      const entry = this.byApproval.get(e.body.approval);
      if (entry) entry.status = e.type === 'approval.expired' ? 'expired' : 'abandoned';
    }
  }

  /** The attempt after a hold: how the held command ended. */
  private attempt(e: AttemptEvent): void {
    if (!e.session || !('approvalRule' in e.body) || e.body.approvalRule === undefined) return;
    const held = this.pendingBySession.get(e.session)?.shift();
    if (!held) return;
    const d = decisionOf(e);
    held.outcome = d?.outcome === 'allow' ? 'allowed' : 'denied';
    // SSH and HTTP holds carry no statements: the programs or the method say what was held.
    if (!held.what.startsWith('command')) return;
    const { facts } = e.body;
    if (facts.protocol === 'ssh' && facts.programs.length > 0)
      held.what = `ssh: ${facts.programs.join(', ')}`;
    else if (facts.protocol === 'http' || facts.protocol === 'kubernetes')
      held.what = `${facts.method} request`;
  }

  result(): HeldCommandEvidence[] {
    return [...this.byApproval.values()];
  }
}
