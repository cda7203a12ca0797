/**
 * The gateway's audit log across storage faults. An AuditLog fails closed for good once a write
 * or fsync fails (a full or read-only disk, an I/O error): every later append is refused, and so
 * is the command it describes. A gateway must not need a restart to serve again once the disk is
 * back, so this keeps the failed log closed and reopens the chain from disk every `retryMs`:
 * reopening re-reads where the chain durably ends, cuts off a line the failure left half-written
 * (recorded as `audit.recovered`, with the hash of the bytes cut) and records `audit.start`. Then
 * it appends `audit.outage` — when the log stopped, when it resumed, how many events were refused
 * meanwhile — and takes appends again.
 *
 * Nothing is forwarded unaudited meanwhile: while the log is down every append rejects with an
 * AuditError at once. A batch the failure interrupted may have left complete lines of events that
 * were refused to their callers; such an attempt is in the log although its command never ran,
 * which errs on the side the audit log exists for.
 */
import { EventEmitter } from 'node:events';
import { AuditError } from '../errors';
import type { AuditEvent, AuditEventInput, AuditSink } from './event';
import { AuditLog, type SealedSegment } from './log';
import type { AuditLogOptions } from './options';

export interface RecoveringAuditLogOptions extends AuditLogOptions {
  /** How often a failed log tries to reopen. @default 1000 */
  readonly retryMs?: number;
  /** Told when the log stops taking appends and when it takes them again. @default none */
  readonly onState?: (state: { readonly up: boolean; readonly cause?: AuditError }) => void;
}

/** Why appends are refused while the log is down. */
const DOWN =
  'the audit log cannot write (its disk is full, read-only or failing); nothing is forwarded until it can';

export class RecoveringAuditLog extends EventEmitter<{ sealed: [SealedSegment] }> implements AuditSink {
  /** Opens the chain in `dir`; rejects (as AuditLog.open does) when it cannot be opened at all. */
  static async open(dir: string, options: RecoveringAuditLogOptions): Promise<RecoveringAuditLog> {
    const opts = { ...options, repairTornTail: true };
    return new RecoveringAuditLog(dir, opts, await AuditLog.open(dir, opts));
  }

  private log: AuditLog | undefined;
  private down: { since: Date; cause: AuditError; refused: number } | undefined;
  private retry: NodeJS.Timeout | undefined;
  private reopening: Promise<void> | undefined;
  private closed = false;
  private readonly retryMs: number;

  private constructor(
    private readonly dir: string,
    private readonly opts: RecoveringAuditLogOptions,
    log: AuditLog,
  ) {
    super();
    this.retryMs = opts.retryMs ?? 1000;
    this.attach(log);
  }

  /** Whether appends are being taken right now. */
  get up(): boolean {
    return this.log !== undefined;
  }

  append(input: AuditEventInput): Promise<AuditEvent> {
    return this.log ? this.log.append(input) : this.refuse();
  }

  appendDeferred(input: AuditEventInput): Promise<AuditEvent> {
    return this.log ? this.log.appendDeferred(input) : this.refuse();
  }

  /** Closes the log (flushing it when it is up) and stops trying to reopen it. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.reopening;
    const log = this.log;
    this.log = undefined;
    await log?.close();
  }

  private refuse(): Promise<AuditEvent> {
    if (this.down) this.down.refused++;
    return Promise.reject(
      new AuditError(this.closed ? 'audit log is closed' : DOWN, { cause: this.down?.cause }),
    );
  }

  private attach(log: AuditLog): void {
    this.log = log;
    log.on('sealed', (segment) => this.emit('sealed', segment));
    log.once('failed', (cause) => this.failed(log, cause));
  }

  private failed(log: AuditLog, cause: AuditError): void {
    if (this.log !== log) return;
    this.log = undefined;
    this.down ??= { since: new Date(), cause, refused: 0 };
    this.opts.onState?.({ up: false, cause });
    // Releases the file; the failure is already known, so close's rejection says nothing new.
    log.close().catch(() => undefined);
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (this.closed) return;
    this.retry = setTimeout(() => {
      this.reopening = this.reopen().finally(() => {
        this.reopening = undefined;
      });
    }, this.retryMs);
    // A gateway that is otherwise done may exit while its log waits for a disk.
    this.retry.unref();
  }

  private async reopen(): Promise<void> {
    let log: AuditLog;
    try {
      log = await AuditLog.open(this.dir, { ...this.opts, repairTornTail: true });
    } catch {
      return this.scheduleReopen();
    }
    if (this.closed) {
      await log.close().catch(() => undefined);
      return;
    }
    const outage = this.down;
    this.attach(log);
    this.opts.onState?.({ up: true });
    if (!outage) return;
    // Appended before anything else can be: the first event after the chain's audit.start.
    // Until it is durable the outage stays open, so a failure meanwhile extends this one.
    log
      .append({
        type: 'audit.outage',
        body: {
          since: outage.since.toISOString(),
          until: new Date().toISOString(),
          refusedAppends: outage.refused,
          cause: describeCause(outage.cause),
        },
      })
      .then(
        () => {
          if (this.down === outage) this.down = undefined;
        },
        () => undefined,
      );
  }
}

/** The system error code behind a write failure (ENOSPC, EROFS, EIO), never a path or message. */
function describeCause(err: AuditError): string {
  let cause: unknown = err.cause;
  while (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code !== 'ERR_AUDIT_UNAVAILABLE') return code;
    cause = cause.cause;
  }
  return 'unknown';
}
