import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { RevocationStore } from '../identity/revocation';
import type { Termination } from '../protocols/live-session';
import type { LiveSessionRecord, LiveSessionRegistry } from './live-sessions';

/**
 * Requests a worker process makes of the primary, which owns the state that must be single:
 * session-token revocations and the list of live sessions the admin API shows; and the one request
 * the primary makes of a worker: end a session. (Audit events stay in the process that writes
 * them: each process keeps its own chain.)
 */
type Request =
  | { readonly method: 'revocations.isRevoked'; readonly jti: string }
  | { readonly method: 'revocations.revoke'; readonly jti: string; readonly until: string }
  | { readonly method: 'sessions.opened'; readonly record: LiveSessionRecord }
  | { readonly method: 'sessions.closed'; readonly session: string }
  /** Primary → worker; the answer is whether the session was still live there. */
  | { readonly method: 'sessions.terminate'; readonly session: string; readonly termination: Termination };

type Peer = ChildProcess | NodeJS.Process;

interface RequestMessage {
  readonly warden: 'request';
  readonly id: string;
  readonly request: Request;
}

interface ResultMessage {
  readonly warden: 'result';
  readonly id: string;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}

export interface PrimaryState {
  readonly revocations?: RevocationStore;
  /** Lists the worker's sessions; a terminate for one of them is sent back to the worker. */
  readonly sessions?: LiveSessionRegistry;
}

/** Primary side: answers one worker's requests, and forwards terminates for its sessions to it. */
export function serveWorker(worker: ChildProcess, state: PrimaryState): void {
  const call = caller(worker);
  const terminate = async (session: string, termination: Termination) =>
    (await call({ method: 'sessions.terminate', session, termination })) === true;
  answer(worker, (request) => handle(request, state, terminate));
  // Its sessions ended with it (its sockets are gone).
  worker.once('exit', () => {
    if (worker.pid !== undefined) state.sessions?.removeProcess(worker.pid);
  });
}

/** Answers the requests a peer sends over the IPC channel. */
function answer(peer: Peer, handle: (request: Request) => Promise<unknown>): void {
  peer.on('message', (message: unknown) => {
    const m = message as RequestMessage;
    if (m?.warden !== 'request') return;
    handle(m.request).then(
      (value) => reply(peer, { warden: 'result', id: m.id, ok: true, value }),
      (err: unknown) => reply(peer, { warden: 'result', id: m.id, ok: false, error: (err as Error).message }),
    );
  });
}

/** Sends requests to a peer over the IPC channel; each resolves with the peer's answer. */
function caller(peer: Peer): (request: Request) => Promise<unknown> {
  const pending = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();
  peer.on('message', (message: unknown) => {
    const m = message as ResultMessage;
    if (m?.warden !== 'result') return;
    const waiter = pending.get(m.id);
    if (!waiter) return;
    pending.delete(m.id);
    if (m.ok) waiter.resolve(m.value);
    else waiter.reject(new Error(m.error ?? 'request failed'));
  });
  peer.on('disconnect', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('the gateway peer process is gone'));
    pending.clear();
  });
  return (request) =>
    new Promise<unknown>((resolve, reject) => {
      if (!peer.connected || !peer.send) return reject(new Error('the gateway peer process is gone'));
      const id = randomUUID();
      pending.set(id, { resolve, reject });
      peer.send({ warden: 'request', id, request } satisfies RequestMessage);
    });
}

async function handle(
  request: Request,
  state: PrimaryState,
  terminate: (session: string, termination: Termination) => Promise<boolean>,
): Promise<unknown> {
  switch (request.method) {
    case 'revocations.isRevoked':
      return state.revocations ? state.revocations.isRevoked(request.jti) : false;
    case 'revocations.revoke':
      if (!state.revocations) throw new Error('session tokens are not configured');
      return state.revocations.revoke(request.jti, new Date(request.until));
    case 'sessions.opened':
      return state.sessions?.addRemote(request.record, terminate);
    case 'sessions.closed':
      return state.sessions?.removeRemote(request.session);
    case 'sessions.terminate':
      throw new Error('the primary serves no sessions of its own');
  }
}

function reply(target: ChildProcess | NodeJS.Process, message: ResultMessage): void {
  if (target.connected) target.send?.(message);
}

/**
 * Worker side: a client for the primary's state, over the cluster IPC channel. The worker's
 * sessions are reported to the primary as they open and close, and the primary's terminates for
 * them are answered here.
 */
export function primaryClient(sessions: LiveSessionRegistry): { revocations: RevocationStore } {
  const call = caller(process);
  sessions.subscribe((change) => {
    const request: Request =
      change.kind === 'opened'
        ? { method: 'sessions.opened', record: change.record }
        : { method: 'sessions.closed', session: change.session };
    // Only the listing is lost if the primary is gone; the session itself is unaffected.
    call(request).catch(() => undefined);
  });
  answer(process, async (request) => {
    if (request.method !== 'sessions.terminate')
      throw new Error(`${request.method} is served by the primary`);
    return (await sessions.terminate(request.session, request.termination)) !== undefined;
  });
  return {
    revocations: {
      isRevoked: async (jti) => (await call({ method: 'revocations.isRevoked', jti })) as boolean,
      revoke: async (jti, until) => {
        await call({ method: 'revocations.revoke', jti, until: until.toISOString() });
      },
    },
  };
}
