/**
 * How sessions started and ended: refusals by reason (bad-token, no-grant, startup-parameter,
 * privileged-upstream-role, …), ends by reason (credential-expired and grant-expired are
 * automatic logoff), terminations by an administrator, inspection mismatches, and sessions served
 * through a privileged upstream role that the config accepted.
 */
import type { AuditEvent } from '../../audit/event';
import { bump } from '../events';
import type { Protocol, SessionEvidence } from '../model';
import { type Collector, protocolOf } from './collector';

export class SessionCollector implements Collector<SessionEvidence> {
  private readonly started: Partial<Record<Protocol, number>> = {};
  private readonly endedBy: Record<string, number> = {};
  private readonly refusedBy: Record<string, number> = {};
  private readonly terminated: SessionEvidence['terminated'][number][] = [];
  private readonly mismatches: SessionEvidence['inspectionMismatches'][number][] = [];
  private readonly privileged = new Map<string, { privileges: Set<string>; sessions: number }>();

  add(e: AuditEvent): void {
    switch (e.type) {
      case 'session.start': {
        const protocol = protocolOf(e);
        if (protocol) this.started[protocol] = (this.started[protocol] ?? 0) + 1;
        const role = e.body.protocol === 'postgres' ? e.body.upstreamRole : undefined;
        if (role && e.connection) {
          const entry = this.privileged.get(e.connection) ?? { privileges: new Set<string>(), sessions: 0 };
          for (const p of role.privileges) entry.privileges.add(p);
          entry.sessions++;
          this.privileged.set(e.connection, entry);
        }
        return;
      }
      case 'session.end':
        bump(this.endedBy, e.body.reason);
        return;
      case 'session.refused':
        bump(this.refusedBy, e.body.reason);
        return;
      case 'session.terminated':
        this.terminated.push({
          time: e.time,
          session: e.session ?? '',
          by: e.principal?.subject ?? 'unknown',
          owner: e.body.subject,
        });
        return;
      case 'inspection.mismatch':
        this.mismatches.push({
          time: e.time,
          session: e.session,
          connection: e.connection,
          kind: e.body.kind,
        });
        return;
    }
  }

  result(): SessionEvidence {
    return {
      started: this.started,
      endedBy: this.endedBy,
      refusedBy: this.refusedBy,
      terminated: this.terminated,
      inspectionMismatches: this.mismatches,
      privilegedUpstream: [...this.privileged].map(([connection, v]) => ({
        connection,
        privileges: [...v.privileges].sort(),
        sessions: v.sessions,
      })),
    };
  }
}
