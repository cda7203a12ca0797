/**
 * What a protocol adapter tells the gateway about a live session, and how the gateway ends one
 * from outside it (an administrator's terminate). Shared by the Postgres and SSH hooks; imports no
 * gateway service, so the adapters stay free of them.
 */
import type { Principal } from '../identity/principal';

/** A session that has passed login (session.start is audited) and is now serving its client. */
export interface LiveSessionInfo {
  /** Gateway session id, as in the audit log. */
  readonly session: string;
  readonly connection: string;
  readonly principal: Principal;
}

/** Who ended a session and why: shown to its client and written to its `session.end` event. */
export interface Termination {
  /** Subject of the administrator who terminated it. */
  readonly by: string;
  /** Free text the administrator gave (already trimmed, capped and free of control characters). */
  readonly reason?: string;
}

/** The gateway's handle on one live session. */
export interface LiveSession {
  /** Aborted, with a `Termination` as its reason, when an administrator terminates the session. */
  readonly terminated: AbortSignal;
  /** The session ended (for whatever reason): the gateway stops listing it. Idempotent. */
  closed(): void;
}

/** What a client is told when the gateway ends its session because its access ended. */
export const ACCESS_ENDED_TEXT = {
  'grant-revoked': 'your Warden access grant was revoked; session ended',
  'credential-expired': 'your Warden credential or grant has expired; session ended',
} as const;

/** The session.end reason for an administrator's terminate (grant revocation says 'grant-revoked'). */
export const TERMINATED = 'terminated';

/** The `Termination` an aborted `terminated` signal carries (a bare abort names nobody). */
export function terminationOf(signal: AbortSignal): Termination {
  const r = signal.reason as Partial<Termination> | undefined;
  return typeof r?.by === 'string'
    ? { by: r.by, ...(typeof r.reason === 'string' ? { reason: r.reason } : {}) }
    : { by: 'unknown' };
}

/** What a client is told: who ended the session and, when given, why. No other detail. */
export function terminationText(t: Termination): string {
  return `session terminated by an administrator (${t.by})${t.reason ? `: ${t.reason}` : ''}`;
}

/** The fields a terminated session adds to its `session.end` audit body. */
export function terminationAudit(t: Termination): Record<string, string> {
  return { terminatedBy: t.by, ...(t.reason ? { terminationReason: t.reason } : {}) };
}
