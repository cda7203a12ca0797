/**
 * Every command held for approval: who asked, under which rule, what it was (statement kinds and
 * the relations they write, or the HTTP method; never the command text), each approver's vote and
 * how it ended. A hold's own `command` field is normalized text that may still carry literals
 * from an SSH line or an HTTP path, so it is not copied.
 */
import type { AuditEvent } from '../../audit/event';
import { obj, str } from '../events';
import type { HeldCommandEvidence } from '../model';
import { ATTEMPT_TYPES, type Collector, decisionOf } from './collector';

type Mutable = { -readonly [K in keyof HeldCommandEvidence]: HeldCommandEvidence[K] } & {
  decisions: HeldCommandEvidence['decisions'][number][];
};

/** "update public.patients; delete public.billing", from a hold's statement summaries. */
function describeStatements(statements: unknown): string | undefined {
  if (!Array.isArray(statements) || statements.length === 0) return undefined;
  return statements
    .map((s) => {
      const st = obj(s) ?? {};
      const writes = Array.isArray(st.writes)
        ? st.writes.filter((w): w is string => typeof w === 'string')
        : [];
      return [str(st.kind) ?? 'statement', ...writes].join(' ');
    })
    .join('; ');
}

export class HeldCommandCollector implements Collector<HeldCommandEvidence[]> {
  private readonly byApproval = new Map<string, Mutable>();
  /** The attempt that follows a hold names it (approvalRule) but not its id: matched by session. */
  private readonly pendingBySession = new Map<string, Mutable[]>();

  add(e: AuditEvent): void {
    const approval = str(e.body.approval);
    if (e.type === 'approval.requested' && approval) {
      const entry: Mutable = {
        approval,
        requestedAt: e.time,
        requester: e.principal?.subject ?? 'unknown',
        connection: e.connection,
        rule: str(e.body.rule) ?? 'unknown',
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
    const entry = approval ? this.byApproval.get(approval) : undefined;
    if (entry) {
      if (e.type === 'approval.decided') {
        entry.decisions.push({
          by: e.principal?.subject ?? 'unknown',
          verdict: str(e.body.verdict) ?? '?',
          at: e.time,
        });
        entry.status = str(e.body.status) ?? entry.status;
      } else if (e.type === 'approval.expired') entry.status = 'expired';
      else if (e.type === 'approval.abandoned') entry.status = 'abandoned';
      return;
    }
    if (ATTEMPT_TYPES.has(e.type) && e.session && typeof e.body.approvalRule === 'string') {
      const queue = this.pendingBySession.get(e.session);
      const held = queue?.shift();
      if (!held) return;
      const d = decisionOf(e);
      held.outcome = d?.outcome === 'allow' ? 'allowed' : 'denied';
      // SSH and HTTP holds carry no statements: the programs or the method say what was held.
      const facts = obj(e.body.facts);
      const programs = Array.isArray(facts?.programs)
        ? facts.programs.filter((p) => typeof p === 'string')
        : [];
      const method = str(facts?.method);
      if (held.what.startsWith('command') && programs.length > 0) held.what = `ssh: ${programs.join(', ')}`;
      else if (held.what.startsWith('command') && method) held.what = `${method} request`;
    }
  }

  result(): HeldCommandEvidence[] {
    return [...this.byApproval.values()];
  }
}
