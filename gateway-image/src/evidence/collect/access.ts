/**
 * Just-in-time grants from request to end: who asked for which connection and how long, who
 * approved (or denied) it and when, when it expired or who revoked it. Request and revocation
 * reasons are free text and stay in the audit log.
 */
import type { AuditEvent } from '../../audit/event';
import type { JitGrantEvidence } from '../model';
import type { Collector } from './collector';

type Mutable = { -readonly [K in keyof JitGrantEvidence]: JitGrantEvidence[K] };

export class JitGrantCollector implements Collector<JitGrantEvidence[]> {
  private readonly byApproval = new Map<string, Mutable>();
  private readonly byGrant = new Map<string, Mutable>();

  add(e: AuditEvent): void {
    switch (e.type) {
      case 'access.requested':
        this.entry(e.body.approval, {
          subject: e.principal?.subject ?? 'unknown',
          connection: e.connection,
          requestedAt: e.time,
          durationMs: e.body.durationMs ?? null,
        });
        return;
      case 'access.granted': {
        const entry = this.entry(e.body.approval, {
          subject: e.body.subject,
          connection: e.connection,
          status: 'granted',
          grant: e.body.grant,
          approvedBy: e.principal?.subject ?? null,
          approvedAt: e.time,
          expiresAt: e.body.expiresAt,
        });
        if (entry.grant) this.byGrant.set(entry.grant, entry);
        return;
      }
      case 'approval.decided': {
        // Only access requests are tracked here; held commands are their own section.
        const entry = this.byApproval.get(e.body.approval);
        if (entry && e.body.status === 'denied') {
          entry.status = 'denied';
          entry.approvedBy = e.principal?.subject ?? null;
          entry.approvedAt = e.time;
        }
        return;
      }
      case 'approval.expired': {
        const entry = this.byApproval.get(e.body.approval);
        if (entry && entry.status === 'requested') entry.status = 'request expired';
        return;
      }
      case 'access.revoked': {
        const entry = this.byGrant.get(e.body.grant);
        if (entry) {
          entry.status = 'revoked';
          entry.revokedBy = e.principal?.subject ?? null;
          entry.revokedAt = e.time;
        }
        return;
      }
      case 'access.expired': {
        const entry = this.byGrant.get(e.body.grant);
        if (entry) {
          if (entry.status === 'granted') entry.status = 'expired';
          entry.expiredAt = e.time;
        }
        return;
      }
    }
  }

  result(): JitGrantEvidence[] {
    return [...this.byApproval.values()];
  }

  /** The grant record of an approval id, created on first sight (a grant requested before the period). */
  private entry(approval: string, fields: Partial<Mutable>): Mutable {
    let entry = this.byApproval.get(approval);
    if (!entry) {
      entry = {
        approval,
        subject: 'unknown',
        connection: null,
        requestedAt: null,
        durationMs: null,
        status: 'requested',
        grant: null,
        approvedBy: null,
        approvedAt: null,
        expiresAt: null,
        revokedBy: null,
        revokedAt: null,
        expiredAt: null,
      };
      this.byApproval.set(approval, entry);
    }
    Object.assign(entry, Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
    return entry;
  }
}
