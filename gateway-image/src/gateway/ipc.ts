import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AuditEvent, AuditEventInput } from '../audit/event';
import { AuditError } from '../errors';
import type { RevocationStore } from '../identity/revocation';
import type { ClosableAuditSink } from './services';

/**
 * Requests a worker process makes of the primary, which owns the state that must be single:
 * the audit chain (one writer, one sequence) and session-token revocations.
 */
type Request =
  | { readonly method: 'audit.append'; readonly input: AuditEventInput }
  /** A worker's deferred events of one event-loop turn, in order: one message, not one each. */
  | { readonly method: 'audit.appendDeferred'; readonly inputs: readonly AuditEventInput[] }
  | { readonly method: 'revocations.isRevoked'; readonly jti: string }
  | { readonly method: 'revocations.revoke'; readonly jti: string; readonly until: string };

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
  readonly audit: {
    append(input: AuditEventInput): Promise<AuditEvent>;
    appendDeferred?(input: AuditEventInput): Promise<AuditEvent>;
  };
  readonly revocations?: RevocationStore;
}

/** Primary side: answers one worker's requests. */
export function serveWorker(worker: ChildProcess | NodeJS.Process, state: PrimaryState): void {
  worker.on('message', (message: unknown) => {
    const m = message as RequestMessage;
    if (m?.warden !== 'request') return;
    handle(m.request, state).then(
      (value) => reply(worker, { warden: 'result', id: m.id, ok: true, value }),
      (err: unknown) =>
        reply(worker, { warden: 'result', id: m.id, ok: false, error: (err as Error).message }),
    );
  });
}

async function handle(request: Request, state: PrimaryState): Promise<unknown> {
  switch (request.method) {
    case 'audit.append':
      return (await state.audit.append(request.input)).seq;
    case 'audit.appendDeferred': {
      const { audit } = state;
      // Sequenced synchronously, in order; the reply waits until all of them are durable.
      const appends = request.inputs.map((input) =>
        audit.appendDeferred ? audit.appendDeferred(input) : audit.append(input),
      );
      return (await Promise.all(appends)).map((e) => e.seq);
    }
    case 'revocations.isRevoked':
      return state.revocations ? state.revocations.isRevoked(request.jti) : false;
    case 'revocations.revoke':
      if (!state.revocations) throw new Error('session tokens are not configured');
      return state.revocations.revoke(request.jti, new Date(request.until));
  }
}

function reply(target: ChildProcess | NodeJS.Process, message: ResultMessage): void {
  if (target.connected) target.send?.(message);
}

/** Worker side: a client for the primary's state, over the cluster IPC channel. */
export function primaryClient(): { audit: ClosableAuditSink; revocations: RevocationStore } {
  const pending = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();
  process.on('message', (message: unknown) => {
    const m = message as ResultMessage;
    if (m?.warden !== 'result') return;
    const waiter = pending.get(m.id);
    if (!waiter) return;
    pending.delete(m.id);
    if (m.ok) waiter.resolve(m.value);
    else waiter.reject(new Error(m.error ?? 'request failed'));
  });
  process.on('disconnect', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('the gateway primary process is gone'));
    pending.clear();
  });
  const call = (request: Request) =>
    new Promise<unknown>((resolve, reject) => {
      if (!process.connected || !process.send)
        return reject(new Error('the gateway primary process is gone'));
      const id = randomUUID();
      pending.set(id, { resolve, reject });
      process.send({ warden: 'request', id, request } satisfies RequestMessage);
    });
  const failed = (err: unknown) =>
    new AuditError(`audit append through the primary failed: ${(err as Error).message}`, { cause: err });
  // Deferred events wait for the end of the event-loop turn and travel together; a durable append
  // sends them first, so the primary sequences everything in this worker's call order.
  let deferred: { input: AuditEventInput; resolve(e: AuditEvent): void; reject(e: Error): void }[] = [];
  const sendDeferred = (): void => {
    if (deferred.length === 0) return;
    const batch = deferred;
    deferred = [];
    call({ method: 'audit.appendDeferred', inputs: batch.map((d) => d.input) }).then(
      (seqs) => {
        for (const [i, d] of batch.entries())
          d.resolve({ ...d.input, seq: (seqs as number[])[i] } as unknown as AuditEvent);
      },
      (err: unknown) => {
        for (const d of batch) d.reject(failed(err));
      },
    );
  };
  // Principals travel as their audit summary; the primary's log records only that anyway.
  const plain = (input: AuditEventInput) => JSON.parse(JSON.stringify(input)) as AuditEventInput;
  return {
    audit: {
      async append(input) {
        sendDeferred();
        try {
          const seq = (await call({ method: 'audit.append', input: plain(input) })) as number;
          return { ...input, seq } as unknown as AuditEvent;
        } catch (err) {
          throw failed(err);
        }
      },
      appendDeferred(input) {
        return new Promise<AuditEvent>((resolve, reject) => {
          if (deferred.push({ input: plain(input), resolve, reject }) === 1) setImmediate(sendDeferred);
        });
      },
      close: async () => undefined,
    },
    revocations: {
      isRevoked: async (jti) => (await call({ method: 'revocations.isRevoked', jti })) as boolean,
      revoke: async (jti, until) => {
        await call({ method: 'revocations.revoke', jti, until: until.toISOString() });
      },
    },
  };
}
