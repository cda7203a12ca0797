import type { AuditEvent } from '../../audit/event';
import type { Protocol } from '../model';

/** Reads the period's events one by one and keeps only what its section needs. */
export interface Collector<T> {
  add(event: AuditEvent): void;
  result(): T;
}

/** The protocol of a session, from its session.start (Postgres, SSH) or its request events (HTTP, Kubernetes). */
export function protocolOf(event: AuditEvent): Protocol | undefined {
  const p = event.body.protocol;
  if (p === 'postgres' || p === 'ssh' || p === 'http' || p === 'kubernetes') return p;
  if (event.type.startsWith('query.')) return 'postgres';
  if (event.type.startsWith('command.')) return 'ssh';
  if (event.type.startsWith('request.')) return 'http';
  return undefined;
}

/** Events that record one command attempt and the decision taken on it. */
export const ATTEMPT_TYPES: ReadonlySet<string> = new Set([
  'query.attempt',
  'command.attempt',
  'request.attempt',
]);

/** The decision of an attempt, when policy reached one. */
export function decisionOf(
  event: AuditEvent,
): { outcome: string; rule: string; program?: string; features?: string[] } | undefined {
  const d = event.body.decision;
  if (d === null || typeof d !== 'object' || Array.isArray(d)) return undefined;
  const { outcome, rule, program, features } = d as Record<string, unknown>;
  if (typeof outcome !== 'string' || typeof rule !== 'string') return undefined;
  return {
    outcome,
    rule,
    ...(typeof program === 'string' ? { program } : {}),
    ...(Array.isArray(features)
      ? { features: features.filter((f): f is string => typeof f === 'string') }
      : {}),
  };
}

/** Sorted entries of a count map, largest first. */
export function sortedCounts(counts: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
