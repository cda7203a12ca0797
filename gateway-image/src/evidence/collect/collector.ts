import type { AuditEvent } from '../../audit/event';
import type { Decision } from '../../policy/decision';
import type { AttemptType } from '../../protocols/gate';
import type { Protocol } from '../model';

/** Reads the period's events one by one and keeps only what its section needs. */
export interface Collector<T> {
  add(event: AuditEvent): void;
  result(): T;
}

/** The protocol of a session, from its session.start (Postgres, SSH) or its request events (HTTP, Kubernetes). */
export function protocolOf(event: AuditEvent): Protocol | undefined {
  const p = 'protocol' in event.body ? event.body.protocol : undefined;
  if (p === 'postgres' || p === 'ssh' || p === 'http' || p === 'kubernetes') return p;
  if (event.type.startsWith('query.')) return 'postgres';
  if (event.type.startsWith('command.')) return 'ssh';
  if (event.type.startsWith('request.')) return 'http';
  return undefined;
}

/** An event that records one command attempt and the decision taken on it. */
export type AttemptEvent = AuditEvent<AttemptType>;

export function isAttempt(e: AuditEvent): e is AttemptEvent {
  return e.type === 'query.attempt' || e.type === 'command.attempt' || e.type === 'request.attempt';
}

/** The decision of an attempt, when policy reached one (none: refused before policy, or policy failed). */
export function decisionOf(event: AttemptEvent): Decision | undefined {
  return 'decision' in event.body ? event.body.decision : undefined;
}

/** Sorted entries of a count map, largest first. */
export function sortedCounts(counts: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
