/**
 * The live-session registry: every Postgres and SSH session past login, in this process and — in
 * the primary — in every worker (reported over cluster IPC, see ipc.ts). It is what the admin API
 * lists and terminates. HTTP requests are not sessions (nothing long-lived to end) and are absent.
 *
 * A session this process serves carries an AbortController; terminating it aborts with a
 * `Termination` and the protocol adapter ends the session (client message, session.end audit).
 * A worker's session is ended by asking that worker.
 */
import type { AuditPrincipal } from '../audit/event';
import { principalSummary } from '../identity/principal';
import type { LiveSession, LiveSessionInfo, Termination } from '../protocols/live-session';

export type LiveProtocol = 'postgres' | 'ssh';

/** One live session as the admin API shows it. */
export interface LiveSessionRecord {
  readonly session: string;
  readonly protocol: LiveProtocol;
  readonly connection: string;
  /** As the audit log records it: subject, kind, issuer, groups. */
  readonly principal: AuditPrincipal;
  /** ISO 8601. */
  readonly startedAt: string;
  /** The gateway process serving it. */
  readonly pid: number;
}

export type LiveSessionChange =
  | { readonly kind: 'opened'; readonly record: LiveSessionRecord }
  | { readonly kind: 'closed'; readonly session: string };

/** Ends a session another process serves; resolves whether it was still live there. */
export type RemoteTerminate = (session: string, termination: Termination) => Promise<boolean>;

interface Local {
  readonly record: LiveSessionRecord;
  readonly controller: AbortController;
}

interface Remote {
  readonly record: LiveSessionRecord;
  readonly terminate: RemoteTerminate;
}

export class LiveSessionRegistry {
  private readonly local = new Map<string, Local>();
  private readonly remote = new Map<string, Remote>();
  private readonly listeners = new Set<(change: LiveSessionChange) => void>();

  /** Registers a session this process serves; the protocol hooks' `opened`. */
  open(protocol: LiveProtocol, info: LiveSessionInfo): LiveSession {
    const record: LiveSessionRecord = {
      session: info.session,
      protocol,
      connection: info.connection,
      principal: principalSummary(info.principal),
      startedAt: new Date().toISOString(),
      pid: process.pid,
    };
    const controller = new AbortController();
    this.local.set(record.session, { record, controller });
    this.emit({ kind: 'opened', record });
    return {
      terminated: controller.signal,
      closed: () => {
        if (this.local.get(record.session)?.controller !== controller) return;
        this.local.delete(record.session);
        this.emit({ kind: 'closed', session: record.session });
      },
    };
  }

  /** Every live session, oldest first. */
  list(): LiveSessionRecord[] {
    const all = [...this.local.values(), ...this.remote.values()].map((s) => s.record);
    return all.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  get(session: string): LiveSessionRecord | undefined {
    return (this.local.get(session) ?? this.remote.get(session))?.record;
  }

  /**
   * Ends a live session; resolves with its record, or undefined when there is no such session
   * (unknown, or ended meanwhile). Rejects when the worker serving it cannot be asked.
   */
  async terminate(session: string, termination: Termination): Promise<LiveSessionRecord | undefined> {
    const mine = this.local.get(session);
    if (mine) {
      mine.controller.abort(termination);
      return mine.record;
    }
    const theirs = this.remote.get(session);
    if (!theirs) return undefined;
    const ended = await theirs.terminate(session, termination);
    if (this.remote.get(session) === theirs) this.remote.delete(session);
    return ended ? theirs.record : undefined;
  }

  /** Follows sessions opened and closed in this process (a worker reports them to the primary). */
  subscribe(listener: (change: LiveSessionChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Primary: a worker's session opened. */
  addRemote(record: LiveSessionRecord, terminate: RemoteTerminate): void {
    this.remote.set(record.session, { record, terminate });
  }

  /** Primary: a worker's session closed. */
  removeRemote(session: string): void {
    this.remote.delete(session);
  }

  /** Primary: a worker exited, and its sessions with it. */
  removeProcess(pid: number): void {
    for (const [id, s] of this.remote) if (s.record.pid === pid) this.remote.delete(id);
  }

  private emit(change: LiveSessionChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
