/**
 * The audit log writer: a hash chain in append-only JSON Lines segments, durable before `append`
 * resolves, with signed checkpoints and sealed, read-only segments.
 *
 * Sequencing and writing are split. `append` assigns seq, prev and hash synchronously, so file
 * order is call order; a single writer loop then takes everything queued, writes it in one call
 * and fsyncs once (group commit). Callers waiting during a write+fsync share the next one, which
 * keeps throughput up under concurrent load without weakening "durable before resolved".
 * `appendDeferred` is for events nothing waits on (a statement's result): it is sequenced at once
 * like any other, but asks for no write of its own. It rides with the next batch a durable append
 * starts, or is written `deferredFlushMs` later at the latest — so a statement whose attempt must be
 * durable before it runs pays one fsync, not one for its predecessor's result and one for itself.
 * Any write or fsync failure fails the log closed: every queued append rejects with `AuditError`,
 * and so does every later one, until the log is reopened (which re-reads the chain from disk).
 */

import { EventEmitter } from 'node:events';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditError } from '../errors';
import { type AuditEvent, type AuditEventInput, type AuditSink, encodeEvent, normalizeInput } from './event';
import { signCheckpoint } from './keys';
import { auditChannel, publishAudit } from './observe';
import { type AuditLogOptions, type ResolvedOptions, resolveOptions } from './options';
import { type RecoveredState, recoverLog } from './recover';
import { type SegmentFile, segmentName, syncDirectory } from './segments';

/** Emitted as `sealed` once a segment is complete, durable and read-only. */
export interface SealedSegment {
  readonly path: string;
  readonly segment: string;
  readonly lastSeq: number;
}

export interface AuditLogStats {
  readonly lastSeq: number;
  readonly segment: string;
  /** Completed write+fsync rounds; below the event count whenever group commit batched. */
  readonly syncs: number;
  readonly failed: boolean;
}

interface Entry {
  readonly line: string;
  readonly event: AuditEvent;
  resolve(event: AuditEvent): void;
  reject(err: AuditError): void;
  /** Written with the next batch rather than starting one (`appendDeferred`). */
  readonly deferred: boolean;
  /** Set on the last line of a segment: after it is durable, seal the file and open `next`. */
  readonly seal?: { readonly path: string; readonly segment: string; readonly next: string };
  /** performance.now() at append, kept only while someone observes the log (observe.ts). */
  readonly queuedAt: number;
}

const noop = (): void => {};

export class AuditLog
  extends EventEmitter<{ sealed: [SealedSegment]; failed: [AuditError] }>
  implements AuditSink
{
  /** Open (creating if needed) the log in `dir`, continue its chain, and record `audit.start`. */
  static async open(dir: string, options: AuditLogOptions): Promise<AuditLog> {
    const opts = resolveOptions(options);
    let state: RecoveredState;
    let file: SegmentFile;
    try {
      state = await recoverLog(dir, opts.repairTornTail);
      file = await opts.fileSystem.openSegment(join(dir, state.segment));
    } catch (err) {
      if (err instanceof AuditError) throw err;
      throw new AuditError(`cannot open the audit log in ${dir}: ${(err as Error).message}`, { cause: err });
    }
    const log = new AuditLog(dir, opts, file, state);
    try {
      await log.internal({
        type: 'audit.start',
        body: {
          version: 1,
          segment: state.segment,
          keyId: opts.keyId,
          resumedAfterSeq: state.lastSeq,
          cleanShutdown: state.cleanShutdown,
        },
      });
      if (state.repair) await log.internal({ type: 'audit.recovered', body: state.repair });
    } catch (err) {
      await log.close().catch(noop);
      throw err;
    }
    return log;
  }

  private readonly queue: Entry[] = [];
  /** Queued entries that are not deferred: while there are any, the writer keeps going. */
  private urgent = 0;
  /** The next batch takes deferred entries too (their flush delay has passed, or the log closes). */
  private flushAll = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private writing = false;
  private drained: Promise<void> = Promise.resolve();
  private failure: AuditError | undefined;
  private closing = false;
  private closed: Promise<void> | undefined;
  private syncs = 0;
  private lastSeq: number;
  private lastHash: string;
  private lastType = '';
  private segment: string;
  private segmentNumber: number;
  private segmentBytes: number;
  private segmentStartedAt: number;
  private segmentEvents: number;
  private sinceCheckpoint = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly dir: string,
    private readonly opts: ResolvedOptions,
    private file: SegmentFile,
    state: RecoveredState,
  ) {
    super();
    this.lastSeq = state.lastSeq;
    this.lastHash = state.lastHash;
    this.segment = state.segment;
    this.segmentNumber = state.segmentNumber;
    this.segmentBytes = state.segmentBytes;
    this.segmentStartedAt = state.segmentStartedAt;
    this.segmentEvents = state.segmentEvents;
    this.timer = setInterval(() => this.tick(), opts.checkpointIntervalMs);
    // The timer must not keep a gateway that is otherwise done from exiting; close() checkpoints.
    this.timer.unref();
  }

  /** Append an event; resolves once it is fsync'd, rejects with `AuditError` otherwise. */
  append(input: AuditEventInput): Promise<AuditEvent> {
    try {
      return this.enqueue(normalizeInput(input));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Append an event nothing waits on: in order with every other append, written with the next
   * batch or within `deferredFlushMs`. Resolves once fsync'd, rejects with `AuditError` otherwise.
   */
  appendDeferred(input: AuditEventInput): Promise<AuditEvent> {
    try {
      return this.enqueue(normalizeInput(input), undefined, true);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  stats(): AuditLogStats {
    return {
      lastSeq: this.lastSeq,
      segment: this.segment,
      syncs: this.syncs,
      failed: this.failure !== undefined,
    };
  }

  /** Flush, write a final checkpoint, fsync and release the file. Rejects if the log had failed. */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.timer);
    if (this.failure === undefined && this.lastType !== 'checkpoint') {
      this.checkpoint('close');
    }
    this.closing = true;
    this.flushAll = true;
    this.kick();
    await this.tail.catch(noop);
    // The last batch may have sealed a segment: let the rotation finish before releasing the file.
    await this.drained;
    clearTimeout(this.flushTimer);
    await this.file.close().catch(noop);
    if (this.failure) throw this.failure;
  }

  private internal(input: AuditEventInput): Promise<AuditEvent> {
    return this.enqueue(normalizeInput(input, true));
  }

  private enqueue(
    fields: ReturnType<typeof normalizeInput>,
    seal?: Entry['seal'],
    deferred = false,
  ): Promise<AuditEvent> {
    if (this.failure) {
      publishAudit({ kind: 'append.failed', count: 1 });
      return Promise.reject(this.failure);
    }
    if (this.closing) return Promise.reject(new AuditError('audit log is closed'));
    const now = Date.now();
    const isSystem = fields.type === 'checkpoint' || fields.type === 'segment.sealed';
    if (!isSystem && this.segmentEvents > 0 && now - this.segmentStartedAt >= this.opts.segmentMaxAgeMs) {
      this.seal();
    }
    const { event, line } = encodeEvent(
      { ...fields, seq: this.lastSeq + 1, prev: this.lastHash, time: new Date(now).toISOString() },
      this.opts.maxBodyBytes,
    );
    this.lastSeq = event.seq;
    this.lastHash = event.hash;
    this.lastType = event.type;
    this.segmentBytes += Buffer.byteLength(line);
    if (this.segmentEvents++ === 0) this.segmentStartedAt = now;
    const observed = auditChannel.hasSubscribers;
    if (observed) auditChannel.publish({ kind: 'event', event });
    const queuedAt = observed ? performance.now() : 0;
    const promise = new Promise<AuditEvent>((resolve, reject) =>
      this.queue.push({ line, event, resolve, reject, deferred, seal, queuedAt }),
    );
    if (!deferred) this.urgent++;
    this.tail = promise;
    if (!isSystem) {
      if (++this.sinceCheckpoint >= this.opts.checkpointEvery) this.checkpoint('count');
      if (this.segmentBytes >= this.opts.segmentMaxBytes) this.seal();
    }
    this.kick();
    return promise;
  }

  /** Queue a signed checkpoint over the last event. Internal promises never go unhandled. */
  private checkpoint(reason: 'count' | 'interval' | 'seal' | 'close', seal?: Entry['seal']): void {
    const claim = { upTo: this.lastSeq, hash: this.lastHash, segment: this.segment };
    const signature = signCheckpoint(claim, this.opts.signingKey);
    const body = { ...claim, signature, keyId: this.opts.keyId, reason };
    this.enqueue(normalizeInput({ type: 'checkpoint', body }, true), seal).catch(noop);
    this.sinceCheckpoint = 0;
  }

  /**
   * End the current segment: `segment.sealed` (naming the next file) and then a checkpoint, so the
   * signature covers the seal marker and deleting later segments cannot go unnoticed.
   */
  private seal(): void {
    const next = segmentName(this.segmentNumber + 1);
    const path = join(this.dir, this.segment);
    const sealed = { segment: this.segment, next, lastSeq: this.lastSeq };
    this.enqueue(normalizeInput({ type: 'segment.sealed', body: sealed }, true)).catch(noop);
    this.checkpoint('seal', { path, segment: this.segment, next });
    this.segment = next;
    this.segmentNumber++;
    this.segmentBytes = 0;
    this.segmentEvents = 0;
  }

  private tick(): void {
    if (this.failure || this.closing) return;
    if (this.segmentEvents > 0 && Date.now() - this.segmentStartedAt >= this.opts.segmentMaxAgeMs)
      this.seal();
    else if (this.sinceCheckpoint > 0) this.checkpoint('interval');
  }

  private kick(): void {
    if (this.writing) return;
    if (this.urgent === 0 && !this.flushAll) {
      this.armFlush();
      return;
    }
    this.writing = true;
    this.drained = this.drain();
  }

  /** Deferred entries wait at most `deferredFlushMs` for a durable append to carry them. */
  private armFlush(): void {
    if (this.flushTimer !== undefined || this.queue.length === 0 || this.failure) return;
    // Not unref'd: a queued event keeps the process up until it is written (at most this delay).
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushAll = true;
      this.kick();
    }, this.opts.deferredFlushMs);
  }

  /** The single writer: one write+fsync per batch; a batch never crosses a segment boundary. */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.failure === undefined && (this.urgent > 0 || this.flushAll)) {
        this.flushAll = false;
        const cut = this.queue.findIndex((e) => e.seal !== undefined);
        const batch = this.queue.splice(0, cut === -1 ? this.queue.length : cut + 1);
        for (const e of batch) if (!e.deferred) this.urgent--;
        const bytes = Buffer.from(batch.map((e) => e.line).join(''));
        try {
          await this.file.append(bytes);
          await this.file.sync();
          this.syncs++;
        } catch (err) {
          this.fail(err, batch);
          return;
        }
        for (const e of batch) e.resolve(e.event);
        if (auditChannel.hasSubscribers) this.observeBatch(batch, bytes.length);
        const seal = batch.at(-1)?.seal;
        if (seal) {
          try {
            await this.rotate(seal, batch.at(-1)!.event.seq);
          } catch (err) {
            this.fail(err, []);
            return;
          }
        }
      }
    } finally {
      // Cleared in the same turn as the empty-queue check, so a new append always restarts the loop.
      this.writing = false;
      // Only deferred entries are left (or none): they wait for the next durable append or the timer.
      if (this.queue.length === 0) {
        clearTimeout(this.flushTimer);
        this.flushTimer = undefined;
      } else this.armFlush();
    }
  }

  private observeBatch(batch: readonly Entry[], bytes: number): void {
    const now = performance.now();
    publishAudit({
      kind: 'batch',
      events: batch.length,
      bytes,
      // Entries appended before the first subscriber carry no time; they are left out.
      waitsMs: batch.filter((e) => !e.deferred && e.queuedAt > 0).map((e) => now - e.queuedAt),
      unsealedBytes: this.segmentBytes,
      checkpoint: batch.some((e) => e.event.type === 'checkpoint'),
    });
  }

  private async rotate(seal: NonNullable<Entry['seal']>, lastSeq: number): Promise<void> {
    await this.file.close();
    await chmod(seal.path, 0o444);
    this.file = await this.opts.fileSystem.openSegment(join(this.dir, seal.next));
    await syncDirectory(this.dir);
    try {
      this.emit('sealed', { path: seal.path, segment: seal.segment, lastSeq });
    } catch {
      // A failing listener (an uploader) must not stop the audit log; sealed files stay on disk.
    }
  }

  private fail(cause: unknown, batch: Entry[]): void {
    const err = new AuditError('audit log write failed; refusing appends until it is reopened', { cause });
    this.failure = err;
    clearInterval(this.timer);
    clearTimeout(this.flushTimer);
    this.urgent = 0;
    const refused = [...batch, ...this.queue.splice(0)];
    for (const e of refused) e.reject(err);
    publishAudit({ kind: 'append.failed', count: refused.length });
    try {
      this.emit('failed', err);
    } catch {
      // Same as above: observers cannot change the outcome.
    }
  }
}
