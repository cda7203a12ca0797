/**
 * Most figures are read off the audit stream this process writes (audit/observe.ts): every
 * protocol already records sessions, attempts with their decisions, masking counts and holds
 * there, so one subscriber counts all three protocols the way an auditor would, and the data path
 * gains no call. Write+fsync batches give the audit log's own figures.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { Counts } from '../audit/bodies';
import type { AuditEvent } from '../audit/event';
import { AUDIT_CHANNEL, type AuditObservation } from '../audit/observe';
import type { AttemptType } from '../protocols/gate';
import type { GatewayMetrics } from './definitions';
import type { LabelGuard } from './labels';

const ATTEMPT_PROTOCOL: Readonly<Record<AttemptType, string>> = {
  'query.attempt': 'postgres',
  'command.attempt': 'ssh',
  'request.attempt': 'http',
};

interface OpenSession {
  readonly labels: { protocol: string; connection: string; principal_kind: string };
  /** A command of this session waits for approvers (at most one: the session waits with it). */
  hold?: { readonly startedAt: number; expired: boolean };
}

export interface AuditObserver {
  /** Sets the gauges that are ages (read at scrape time). */
  refresh(now?: number): void;
  close(): void;
}

export function observeAudit(m: GatewayMetrics, guard: LabelGuard): AuditObserver {
  const sessions = new Map<string, OpenSession>();
  let lastCheckpointAt = performance.now();
  let uploadsPending = 0;

  const startSession = (e: AuditEvent<'session.start'>) => {
    if (!e.session || sessions.has(e.session)) return;
    const labels = {
      protocol: e.body.protocol,
      connection: guard.connection(e.connection),
      principal_kind: guard.principalKind(e.principal?.kind),
    };
    sessions.set(e.session, { labels });
    m.sessionsOpened.inc(labels);
    m.sessionsOpen.inc(labels);
  };

  const endSession = (e: AuditEvent) => {
    const s = e.session ? sessions.get(e.session) : undefined;
    if (!s) return;
    sessions.delete(e.session!);
    m.sessionsOpen.dec(s.labels);
  };

  const attempt = (e: AuditEvent<AttemptType>, protocol: string) => {
    const { body } = e;
    const decision = 'decision' in body ? body.decision : undefined;
    const connection = guard.connection(e.connection);
    const approvalRule = 'approvalRule' in body ? body.approvalRule : undefined;
    if (approvalRule !== undefined)
      endHold(e, protocol, decision?.outcome === 'allow' ? 'approved' : undefined);
    // No decision: refused before policy (syntax error, not inspectable, audit or policy failure).
    // A hold decision where no approvals are configured is refused like a denial.
    const outcome =
      approvalRule !== undefined
        ? 'held'
        : !decision
          ? 'refused'
          : decision.outcome === 'allow'
            ? 'allow'
            : 'deny';
    const rule =
      approvalRule !== undefined
        ? guard.rule(approvalRule)
        : decision
          ? guard.rule(decision.rule)
          : guard.code('outcome' in body ? body.outcome : 'refused');
    m.statements.inc({ protocol, connection, decision: outcome, rule });
  };

  const startHold = (e: AuditEvent) => {
    const key = e.session;
    if (!key) return;
    const s = sessions.get(key) ?? { labels: { protocol: 'http', connection: '', principal_kind: '' } };
    if (!sessions.has(key)) sessions.set(key, s);
    s.hold = { startedAt: performance.now(), expired: false };
  };

  const endHold = (e: AuditEvent, protocol: string, approved: 'approved' | undefined) => {
    const s = e.session ? sessions.get(e.session) : undefined;
    if (!s?.hold) return;
    const outcome = approved ?? (s.hold.expired ? 'expired' : 'denied');
    m.holdDuration.observe({ protocol, outcome }, (performance.now() - s.hold.startedAt) / 1000);
    s.hold = undefined;
    if (s.labels.protocol === 'http') sessions.delete(e.session!);
  };

  const masked = (e: AuditEvent, protocol: string, counts: Counts | undefined) => {
    if (!counts) return;
    const connection = guard.connection(e.connection);
    for (const [key, n] of Object.entries(counts)) {
      // Keys are `ENTITY:strategy`; an entity may hold a colon itself (`custom:DATE`).
      const at = key.lastIndexOf(':');
      if (at <= 0) continue;
      const entity = guard.code(key.slice(0, at));
      m.masked.inc({ protocol, connection, entity, strategy: guard.code(key.slice(at + 1)) }, n);
    }
  };

  const maskEvent = (e: AuditEvent<'mask'>) => {
    const { body } = e;
    const counts: Record<string, number> = {};
    for (const c of body.via === 'notice' ? [] : body.columns) {
      const key = `${c.entity}:${c.strategy}`;
      counts[key] = (counts[key] ?? 0) + c.values;
    }
    masked(e, 'postgres', counts);
    masked(e, 'postgres', body.detections);
  };

  const refused = (e: AuditEvent<'session.refused' | 'request.refused'>, protocol: string) => {
    const { reason } = e.body;
    m.sessionsRefused.inc({ protocol, reason: guard.code(reason) });
    // The session had started (its connection is a configured one) when the upstream failed.
    if (reason === 'upstream-unavailable')
      m.upstreamErrors.inc({ protocol, connection: guard.connection(e.connection) });
  };

  const onEvent = (e: AuditEvent) => {
    switch (e.type) {
      case 'query.attempt':
      case 'command.attempt':
      case 'request.attempt':
        return attempt(e, ATTEMPT_PROTOCOL[e.type]);
      case 'session.start':
        return startSession(e);
      case 'session.end':
        return endSession(e);
      case 'session.refused':
        return refused(e, e.body.protocol === 'ssh' ? 'ssh' : 'postgres');
      case 'request.refused':
        return refused(e, 'http');
      case 'mask':
        return maskEvent(e);
      case 'command.result':
        return masked(e, 'ssh', e.body.masked);
      case 'request.result': {
        const { body } = e;
        masked(e, 'http', body.masked);
        if (body.error?.startsWith('ERR_HTTP_UPSTREAM'))
          m.upstreamErrors.inc({ protocol: 'http', connection: guard.connection(e.connection) });
        return;
      }
      case 'approval.requested':
        return startHold(e);
      case 'approval.expired': {
        const s = e.session ? sessions.get(e.session) : undefined;
        if (s?.hold) s.hold.expired = true;
        return;
      }
    }
  };

  const onMessage = (message: unknown) => {
    const o = message as AuditObservation;
    try {
      switch (o.kind) {
        case 'event':
          return onEvent(o.event);
        case 'batch':
          m.auditBatch.observe(o.events);
          for (const ms of o.waitsMs) m.auditAppend.observe(ms / 1000);
          m.auditUnsealed.set(o.unsealedBytes);
          if (o.checkpoint) lastCheckpointAt = performance.now();
          return;
        case 'append.failed':
          m.auditLogFailed.set(1);
          return m.auditAppendFailures.inc(o.count);
        case 'upload':
          uploadsPending += o.state === 'started' ? 1 : o.state === 'done' ? -1 : 0;
          if (o.state === 'failed') m.uploadFailures.inc({ sink: guard.code(o.sink) });
          return;
      }
    } catch {
      // A metric that cannot be counted must never reach the audit writer (fail closed: the
      // data path goes on, the figure is lost).
    }
  };

  diagnosticsChannel.subscribe(AUDIT_CHANNEL, onMessage);
  return {
    refresh(now = performance.now()) {
      m.checkpointAge.set((now - lastCheckpointAt) / 1000);
      m.uploadBacklog.set(uploadsPending);
      const pending = { postgres: 0, ssh: 0, http: 0 } as Record<string, number>;
      let oldest = 0;
      for (const s of sessions.values()) {
        if (!s.hold) continue;
        pending[s.labels.protocol] = (pending[s.labels.protocol] ?? 0) + 1;
        oldest = Math.max(oldest, now - s.hold.startedAt);
      }
      for (const [protocol, n] of Object.entries(pending)) m.holdsPending.set({ protocol }, n);
      m.oldestHold.set(oldest / 1000);
    },
    close() {
      diagnosticsChannel.unsubscribe(AUDIT_CHANNEL, onMessage);
    },
  };
}
