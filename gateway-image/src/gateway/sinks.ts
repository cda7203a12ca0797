import { readFile, rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { UploadSubject } from '../audit/bodies';
import type { AuditEventInput } from '../audit/event';
import type { SealedSegment } from '../audit/log';
import { publishAudit } from '../audit/observe';
import { listSegments, segmentNumber } from '../audit/segments';
import { createSinkUploader, type Sink } from '../audit/sink-uploaders';
import type { Logger } from '../logging/logger';

/** The audit log as the shipper sees it: sealed segments to copy, and somewhere to record failures. */
export interface SealedSegmentSource {
  on(event: 'sealed', listener: (segment: SealedSegment) => void): unknown;
  off(event: 'sealed', listener: (segment: SealedSegment) => void): unknown;
  append(input: AuditEventInput): Promise<unknown>;
}

export interface ShipOptions extends RetryOptions {
  /** The chain's directory, where sealed segments are and the shipped marker is kept. */
  readonly dir: string;
  /** '' for the directory's own chain, else the worker slot's id. @default '' */
  readonly chain?: string;
}

/**
 * Copies every sealed audit segment to the configured write-once storage (S3 Object Lock, GCS
 * with a locked retention policy), in order, one sink at a time each. A copy that fails (the
 * uploader has already retried) stays at the head of that sink's queue and is tried again with
 * backoff until it succeeds; later segments wait behind it, so a sink never holds a later segment
 * without the earlier ones. The local files stay, read-only, throughout.
 *
 * Progress survives restarts: after each copy the segment's name is recorded per sink in
 * `<chain dir>/shipped.json`, and on start every sealed segment after it is queued again (all of
 * them the first time: a copy already there counts when its checksum matches).
 *
 * A segment's first failed copy is logged and recorded as `audit.upload-failed`; once it is
 * copied after failing, as `audit.upload-retried` with the number of attempts.
 */
export function shipSealedSegments(
  audit: SealedSegmentSource,
  sinks: readonly Sink[],
  logger: Logger,
  opts: ShipOptions,
): () => void {
  const marker = new ShippedMarker(opts.dir, logger);
  const chain = opts.chain ?? '';
  const queues = sinkQueues(sinks, audit, logger, opts, {
    noun: 'audit segment',
    copy: (uploader, segment) => uploader.uploadSegment(join(opts.dir, segment), chain, hostname()),
    copied: (key, segment) => marker.set(key, segment),
    subject: (segment) => ({ segment, ...(chain ? { chain } : {}) }),
  });
  if (queues.length === 0) return () => {};
  const onSealed = (segment: SealedSegment) => {
    for (const q of queues) q.push(segment.segment);
  };
  audit.on('sealed', onSealed);
  void pendingSegments(opts.dir).then(
    async (pending) => {
      for (const q of queues) {
        const last = await marker.get(q.key);
        const after = last === undefined ? 0 : (segmentNumber(last) ?? 0);
        q.resume(pending.filter((s) => (segmentNumber(s) ?? 0) > after));
      }
    },
    (err: unknown) => logger.error({ err: String(err) }, 'cannot list sealed audit segments to copy'),
  );
  return () => {
    audit.off('sealed', onSealed);
    for (const q of queues) q.stop();
  };
}

/** Segments that are sealed: every one but the last, which the log is writing. */
async function pendingSegments(dir: string): Promise<string[]> {
  const all = await listSegments(dir);
  return all.slice(0, -1).map((s) => s.name);
}

/** The uploader of a bucket sink (audit/sink-uploaders.ts). */
export type SinkUploader = NonNullable<ReturnType<typeof createSinkUploader>>;

/** What a sink queue copies: files named relative to a directory, and how each is copied and recorded. */
export interface CopyKind {
  /** How logs name one, e.g. 'audit segment'. */
  readonly noun: string;
  copy(uploader: SinkUploader, name: string): Promise<unknown>;
  /** Records that `name` is in the sink `key` (sinkKey), so a restart does not queue it again. */
  copied(key: string, name: string): Promise<void>;
  /** How `audit.upload-failed` / `audit.upload-retried` name it. */
  subject(name: string): UploadSubject;
}

export interface RetryOptions {
  /** First delay before a failed copy is tried again; doubles up to `maxRetryMs`. @default 1000 */
  readonly retryMs?: number;
  /** @default 60000 */
  readonly maxRetryMs?: number;
}

/** One queue per bucket sink in `sinks` (none for `stdout`), each copying with its own uploader. */
export function sinkQueues(
  sinks: readonly Sink[],
  audit: Pick<SealedSegmentSource, 'append'>,
  logger: Logger,
  opts: RetryOptions,
  kind: CopyKind,
): SinkQueue[] {
  return sinks
    .map((sink) => {
      const uploader = createSinkUploader(sink);
      return uploader && new SinkQueue(sink, uploader, audit, logger, kind, opts);
    })
    .filter((q): q is SinkQueue => q !== undefined);
}

/**
 * Copies files to one sink, in the order queued, one at a time. A copy that fails (the uploader
 * has already retried) stays at the head of the queue and is tried again with backoff until it
 * succeeds; its first failure is logged and audited as `audit.upload-failed`, its copy after
 * failures as `audit.upload-retried`. Nothing is copied before `resume` queues what a restart
 * left behind, ahead of anything pushed since.
 */
export class SinkQueue {
  readonly key: string;
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private draining: Promise<void> | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(
    private readonly sink: Sink,
    private readonly uploader: SinkUploader,
    private readonly audit: Pick<SealedSegmentSource, 'append'>,
    private readonly logger: Logger,
    private readonly kind: CopyKind,
    private readonly opts: RetryOptions,
  ) {
    this.key = sinkKey(sink);
  }

  /** Queues the files found on start that were not copied yet, before any pushed since, and starts copying. */
  resume(behind: readonly string[]): void {
    const fresh = behind.filter((s) => !this.queued.has(s));
    this.queue.unshift(...fresh);
    for (const s of fresh) this.queued.add(s);
    this.started = true;
    this.run();
  }

  push(name: string): void {
    if (this.queued.has(name)) return;
    this.queued.add(name);
    this.queue.push(name);
    this.run();
  }

  /** Resolves when the queue is empty (never while the sink keeps failing) or stopped. */
  idle(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Copies the head of the queue until it is empty; a failure waits and tries the same one again. */
  private run(): void {
    if (this.draining || this.stopped || !this.started) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  private async drain(): Promise<void> {
    let attempts = 0;
    let delay = this.opts.retryMs ?? 1000;
    while (this.queue.length > 0 && !this.stopped) {
      const name = this.queue[0]!;
      try {
        // A copy is started once, however many attempts it takes: the backlog gauge counts copies.
        if (++attempts === 1) publishAudit({ kind: 'upload', state: 'started', sink: this.sink.kind });
        await this.kind.copy(this.uploader, name);
        publishAudit({ kind: 'upload', state: 'done', sink: this.sink.kind });
      } catch (err) {
        publishAudit({ kind: 'upload', state: 'failed', sink: this.sink.kind });
        this.failed(name, attempts, err);
        await new Promise<void>((resolve) => {
          this.timer = setTimeout(resolve, delay);
          this.timer.unref();
        });
        delay = Math.min(delay * 2, this.opts.maxRetryMs ?? 60_000);
        continue;
      }
      if (attempts > 1) this.record('audit.upload-retried', name, { attempts });
      this.queue.shift();
      this.queued.delete(name);
      attempts = 0;
      delay = this.opts.retryMs ?? 1000;
      await this.kind.copied(this.key, name);
    }
  }

  private failed(name: string, attempts: number, err: unknown): void {
    const code = (err as { code?: string }).code;
    this.logger.error(
      { ...this.kind.subject(name), sink: this.sink.kind, attempts, code },
      `${this.kind.noun} copy failed; it stays queued and is tried again`,
    );
    if (attempts === 1) this.record('audit.upload-failed', name, {});
  }

  private record(
    type: 'audit.upload-failed' | 'audit.upload-retried',
    name: string,
    extra: { readonly attempts?: number },
  ): void {
    this.audit
      .append({ type, body: { ...this.kind.subject(name), sink: this.sink.kind, ...extra } })
      .catch(() => undefined);
  }
}

/**
 * `<chain dir>/shipped.json`: per sink, the last segment copied. Every sink's queue shares one,
 * and writes are serialised so one sink's progress never overwrites another's.
 */
class ShippedMarker {
  private state: Promise<Record<string, string>> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.load())[key];
  }

  /** Records progress; if it cannot be written, the next start checks those copies again. */
  set(key: string, segment: string): Promise<void> {
    this.writing = this.writing.then(async () => {
      const state = await this.load();
      state[key] = segment;
      const file = join(this.dir, 'shipped.json');
      try {
        await writeFile(`${file}.tmp`, `${JSON.stringify(state)}\n`);
        await rename(`${file}.tmp`, file);
      } catch (err) {
        this.logger.warn({ err: String(err) }, 'cannot record which audit segments were copied');
      }
    });
    return this.writing;
  }

  private load(): Promise<Record<string, string>> {
    this.state ??= readFile(join(this.dir, 'shipped.json'), 'utf8').then(
      (text) => {
        try {
          const parsed: unknown = JSON.parse(text);
          return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
        } catch {
          return {};
        }
      },
      () => ({}),
    );
    return this.state;
  }
}

/** Names a sink in the shipped markers: its kind, bucket and prefix. */
export function sinkKey(sink: Sink): string {
  return sink.kind === 'stdout' ? 'stdout' : `${sink.kind}://${sink.bucket}/${sink.prefix}`;
}
