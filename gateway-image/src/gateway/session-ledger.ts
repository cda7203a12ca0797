/**
 * Who ends the sessions of a worker that died. A worker killed outright (SIGKILL, the OOM killer,
 * a crash) cannot write `session.end` for its sessions: the kernel closes their sockets, so their
 * clients see the connection drop and their upstream backends end, but the worker's chain would
 * hold each `session.start` with no end.
 *
 * The primary writes those ends, in its own chain (it is the process that knows they ended, and a
 * chain has one writer: the worker slot's chain belongs to the replacement). For that it keeps a
 * ledger of every worker's open sessions: a worker reports each session whose `session.start` is
 * durable and each `session.end` it appended, over the cluster IPC channel and off the data path.
 * When a worker exits without having been asked to stop, every session still in its ledger gets
 * `session.end` with `reason: "worker-lost"`, the worker's slot, pid and exit signal or code, and
 * `endedBy: "primary"`. Reports travel after the durable append, so the one window left is a
 * worker killed between an fsync and the report that follows it (microseconds): such a session
 * has a start and no end.
 */
import type { ChildProcess } from 'node:child_process';
import type { SessionStartBody } from '../audit/bodies';
import type { AuditEvent, AuditEventInput, AuditPrincipal, AuditSink } from '../audit/event';
import type { Logger } from '../logging/logger';

interface Open {
  readonly connection: string | null;
  readonly principal: AuditPrincipal | null;
  readonly startedAt: number;
  readonly protocol: SessionStartBody['protocol'] | undefined;
}

type LedgerMessage =
  | {
      readonly warden: 'session-ledger';
      readonly op: 'start';
      readonly session: string;
      readonly connection: string | null;
      readonly principal: AuditPrincipal | null;
      readonly protocol?: SessionStartBody['protocol'];
    }
  | { readonly warden: 'session-ledger'; readonly op: 'end'; readonly session: string };

/** An audit sink that can be closed (the gateway's services own one). */
export interface ClosableSink extends AuditSink {
  close(): Promise<void>;
}

/**
 * Worker side: the same audit sink, reporting each durable `session.start` and each `session.end`
 * to the primary. A report that cannot be sent is dropped: the session itself is unaffected.
 */
export function reportSessionsToPrimary(audit: ClosableSink): ClosableSink {
  const send = (m: LedgerMessage) => {
    if (process.connected) process.send?.(m);
  };
  const append = (input: AuditEventInput): Promise<AuditEvent> => {
    const appended = audit.append(input);
    if (input.type === 'session.start' && input.session) {
      const { session } = input;
      appended.then(
        (e) =>
          send({
            warden: 'session-ledger',
            op: 'start',
            session,
            connection: e.connection,
            principal: e.principal,
            protocol: input.body.protocol,
          }),
        () => undefined,
      );
    } else if (input.type === 'session.end' && input.session) {
      const { session } = input;
      // Appended or not, the session is over: the primary must not end it again.
      const over = () => send({ warden: 'session-ledger', op: 'end', session });
      appended.then(over, over);
    }
    return appended;
  };
  const deferred = audit.appendDeferred?.bind(audit);
  return { append, ...(deferred ? { appendDeferred: deferred } : {}), close: () => audit.close() };
}

/** Primary side: the open sessions of every worker, and their ends when a worker is lost. */
export class SessionLedger {
  private readonly byPid = new Map<number, Map<string, Open>>();

  constructor(
    private readonly audit: AuditSink,
    private readonly logger: Logger,
  ) {}

  /** Follows a worker's reports. */
  serveWorker(worker: ChildProcess): void {
    const pid = worker.pid;
    if (pid === undefined) return;
    const open = new Map<string, Open>();
    this.byPid.set(pid, open);
    worker.on('message', (m: LedgerMessage) => {
      if (m?.warden !== 'session-ledger' || typeof m.session !== 'string') return;
      if (m.op === 'end') open.delete(m.session);
      else
        open.set(m.session, {
          connection: m.connection,
          principal: m.principal,
          startedAt: Date.now(),
          protocol: m.protocol,
        });
    });
  }

  /**
   * The worker `pid` of slot `slot` is gone. `lost`: it exited without being asked to (killed,
   * crashed), so its sessions ended with it and their `session.end` is written here; otherwise it
   * ended them itself.
   */
  async workerExited(
    pid: number,
    exit: {
      readonly slot: string;
      readonly lost: boolean;
      readonly code: number | null;
      readonly signal: string | null;
    },
  ): Promise<void> {
    const open = this.byPid.get(pid);
    this.byPid.delete(pid);
    if (!open || !exit.lost || open.size === 0) return;
    this.logger.error(
      { pid, worker: exit.slot, sessions: open.size },
      'gateway worker lost with open sessions; recording their end',
    );
    const now = Date.now();
    await Promise.all(
      [...open].map(([session, s]) =>
        this.audit
          .append({
            type: 'session.end',
            principal: s.principal,
            connection: s.connection,
            session,
            body: {
              ...(s.protocol ? { protocol: s.protocol } : {}),
              reason: 'worker-lost',
              worker: exit.slot,
              pid,
              ...(exit.signal ? { signal: exit.signal } : { exitCode: exit.code }),
              endedBy: 'primary',
              // From the primary's hearing of the start: the worker's own clock is gone with it.
              durationMs: now - s.startedAt,
            },
          })
          .catch((err: unknown) =>
            this.logger.error(
              { session, err: String(err) },
              'cannot record the end of a lost worker session',
            ),
          ),
      ),
    );
  }
}
