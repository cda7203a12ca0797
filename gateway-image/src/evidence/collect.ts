/**
 * Builds the evidence of a period: verifies the whole audit log, streams the period's events
 * through one collector per section, indexes the recordings of the period's sessions and, when
 * the config is given, summarises the standing grants and the settings the gateway enforces.
 */
import type { KeyObject } from 'node:crypto';
import type { AuditEvent } from '../audit/event';
import { VERSION } from '../cli/version';
import type { WardenConfig } from '../config/schema';
import { JitGrantCollector } from './collect/access';
import { ActivityCollector } from './collect/activity';
import { HeldCommandCollector } from './collect/approvals';
import { protocolOf } from './collect/collector';
import { MaskingCollector } from './collect/masking';
import { PrincipalCollector } from './collect/principals';
import { RefusalCollector } from './collect/refusals';
import { SessionCollector } from './collect/sessions';
import { configurationEvidence, standingGrants } from './configuration';
import { auditEvents } from './events';
import { verifyIntegrity } from './integrity';
import { EVIDENCE_FORMAT, type EvidenceData, type Period, REQUIREMENTS } from './model';
import { inPeriod } from './period';
import { indexRecordings, type SessionInfo } from './recordings';

export interface CollectOptions {
  readonly auditDir: string;
  readonly period: Period;
  /** The key checkpoints must be signed with; without it the pack says signatures were not verified. */
  readonly publicKey?: KeyObject;
  /** Adds standing grants and the enforced settings. @default - those sections say the config was not given */
  readonly config?: WardenConfig;
  /** Indexes recordings. @default - no recordings index */
  readonly recordingsDir?: string;
  /** The exporting host, for packs the gateway exports of itself. @default null */
  readonly host?: string | null;
  /** The log is being written (the gateway exporting its own): accept events after the last checkpoint. @default false */
  readonly live?: boolean;
  /** @default the current time */
  readonly generatedAt?: string;
}

export async function collectEvidence(o: CollectOptions): Promise<EvidenceData> {
  const principals = new PrincipalCollector();
  const sessions = new SessionCollector();
  const access = new JitGrantCollector();
  const approvals = new HeldCommandCollector();
  const refusals = new RefusalCollector();
  const masking = new MaskingCollector();
  const activity = new ActivityCollector();
  const collectors = [principals, sessions, access, approvals, refusals, masking, activity];
  const sessionInfo = new Map<string, SessionInfo>();
  // The seqs of the period, per chain: each chain numbers its own events.
  const periods = new Map<string, { first: number | null; last: number | null }>();

  for await (const { chain, event: e } of auditEvents(o.auditDir)) {
    if (!inPeriod(e.time, o.period)) continue;
    const period = periods.get(chain) ?? { first: null, last: null };
    period.first ??= e.seq;
    period.last = e.seq;
    periods.set(chain, period);
    for (const c of collectors) c.add(e);
    noteSession(sessionInfo, e);
  }

  const integrity = await verifyIntegrity(o.auditDir, o.publicKey, periods, o.live ?? false);
  return {
    format: EVIDENCE_FORMAT,
    generator: `warden ${VERSION}`,
    generatedAt: o.generatedAt ?? new Date().toISOString(),
    period: o.period,
    host: o.host ?? null,
    requirements: REQUIREMENTS,
    integrity,
    principals: principals.result(),
    sessions: sessions.result(),
    access: { standing: o.config ? standingGrants(o.config) : null, justInTime: access.result() },
    approvals: approvals.result(),
    refusals: refusals.result(),
    masking: masking.result(),
    recordings: o.recordingsDir ? await indexRecordings(o.recordingsDir, sessionInfo) : null,
    activity: activity.result(),
    configuration: o.config ? configurationEvidence(o.config) : null,
  };
}

/** Who and where each session of the period was, for the recordings index. */
function noteSession(sessions: Map<string, SessionInfo>, e: AuditEvent): void {
  if (!e.session || sessions.has(e.session)) return;
  if (e.type !== 'session.start' && e.type !== 'request.attempt') return;
  sessions.set(e.session, {
    principal: e.principal?.subject ?? null,
    connection: e.connection,
    protocol: protocolOf(e) ?? null,
  });
}
