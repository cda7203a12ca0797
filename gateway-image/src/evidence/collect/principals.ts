/** Every principal seen in the period: kind, issuer, sessions per protocol, connections, commands. */
import type { AuditEvent } from '../../audit/event';
import type { PrincipalEvidence, Protocol } from '../model';
import { type Collector, decisionOf, isAttempt, protocolOf } from './collector';

interface Entry {
  subject: string;
  kind: string;
  issuer: string;
  sessions: Partial<Record<Protocol, number>>;
  httpSessions: Set<string>;
  connections: Set<string>;
  commands: number;
  denied: number;
  firstSeen: string;
  lastSeen: string;
}

export class PrincipalCollector implements Collector<PrincipalEvidence[]> {
  private readonly bySubject = new Map<string, Entry>();

  add(e: AuditEvent): void {
    const p = e.principal;
    if (!p) return;
    const key = `${p.issuer}\u0000${p.subject}`;
    let entry = this.bySubject.get(key);
    if (!entry) {
      entry = {
        subject: p.subject,
        kind: p.kind,
        issuer: p.issuer,
        sessions: {},
        httpSessions: new Set(),
        connections: new Set(),
        commands: 0,
        denied: 0,
        firstSeen: e.time,
        lastSeen: e.time,
      };
      this.bySubject.set(key, entry);
    }
    entry.lastSeen = e.time;
    if (e.connection) entry.connections.add(e.connection);
    const protocol = protocolOf(e);
    if (e.type === 'session.start' && protocol)
      entry.sessions[protocol] = (entry.sessions[protocol] ?? 0) + 1;
    // An HTTP or Kubernetes request is its own session: count each request id once.
    if (
      (protocol === 'http' || protocol === 'kubernetes') &&
      e.session &&
      e.type === 'request.attempt' &&
      !entry.httpSessions.has(e.session)
    ) {
      entry.httpSessions.add(e.session);
      entry.sessions[protocol] = (entry.sessions[protocol] ?? 0) + 1;
    }
    if (isAttempt(e)) {
      entry.commands++;
      const d = decisionOf(e);
      if (!d || d.outcome === 'deny') entry.denied++;
    }
  }

  result(): PrincipalEvidence[] {
    return [...this.bySubject.values()]
      .sort((a, b) => a.subject.localeCompare(b.subject) || a.issuer.localeCompare(b.issuer))
      .map(({ httpSessions: _seen, connections, ...rest }) => ({
        ...rest,
        connections: [...connections].sort(),
      }));
  }
}
