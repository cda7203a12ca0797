import { readFile, rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AuditEventInput } from '../audit/event';
import type { SealedSegment } from '../audit/log';
import { publishAudit } from '../audit/observe';
import { listSegments, segmentNumber } from '../audit/segments';
import { createSinkUploader, type Sink } from '../audit/sink-uploaders';
import type { Logger } from '../logging/logger';

interface SegmentUploader {
  uploadSegment(path: string, chain: string, host: string): Promise<unknown>;
}

/** The audit log as the shipper sees it: sealed segments to copy, and somewhere to record failures. */
export interface SealedSegmentSource {
  on(event: 'sealed', listener: (segment: SealedSegment) => void): unknown;
  off(event: 'sealed', listener: (segment: SealedSegment) => void): unknown;
  append(input: AuditEventInput): Promise<unknown>;
}

export interface ShipOptions {
  /** The chain's directory, where sealed segments are and the shipped marker is kept. */
  readonly dir: string;
  /** '' for the directory's own chain, else the worker slot's id. @default '' */
  readonly chain?: string;
  /** First delay before a failed copy is tried again; doubles up to `maxRetryMs`. @default 1000 */
  readonly retryMs?: number;
  /** @default 60000 */
  readonly maxRetryMs?: number;
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
  const queues = sinks
    .map((sink) => {
      const uploader = createSinkUploader(sink);
      return uploader && new SinkQueue(sink, uploader, audit, logger, marker, opts);
    })
    .filter((q): q is SinkQueue => q !== undefined);
  if (queues.length === 0) return () => {};
  const onSealed = (segment: SealedSegment) => {
    for (const q of queues) q.push(segment.segment);
  };
  audit.on('sealed', onSealed);
  void pendingSegments(opts.dir).then(
    (pending) => {
      for (const q of queues) void q.resume(pending);
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

class SinkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly key: string;
  private running = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(
    private readonly sink: Sink,
    private readonly uploader: SegmentUploader,
    private readonly audit: SealedSegmentSource,
    private readonly logger: Logger,
    private readonly marker: ShippedMarker,
    private readonly opts: ShipOptions,
  ) {
    this.key = sinkKey(sink);
  }

  /** Queues the sealed segments found on start that were not copied yet, before any sealed since. */
  async resume(sealed: readonly string[]): Promise<void> {
    const last = await this.marker.get(this.key);
    const after = last === undefined ? 0 : (segmentNumber(last) ?? 0);
    const behind = sealed.filter((s) => (segmentNumber(s) ?? 0) > after && !this.queued.has(s));
    this.queue.unshift(...behind);
    for (const s of behind) this.queued.add(s);
    this.started = true;
    this.run();
  }

  push(segment: string): void {
    if (this.queued.has(segment)) return;
    this.queued.add(segment);
    this.queue.push(segment);
    this.run();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Copies the head of the queue until it is empty; a failure waits and tries the same one again. */
  private run(): void {
    if (this.running || this.stopped || !this.started) return;
    this.running = true;
    void this.drain().finally(() => {
      this.running = false;
    });
  }

  private async drain(): Promise<void> {
    const chain = this.opts.chain ?? '';
    let attempts = 0;
    let delay = this.opts.retryMs ?? 1000;
    while (this.queue.length > 0 && !this.stopped) {
      const segment = this.queue[0]!;
      try {
        attempts++;
        publishAudit({ kind: 'upload', state: 'started', sink: this.sink.kind });
        await this.uploader.uploadSegment(join(this.opts.dir, segment), chain, hostname());
        publishAudit({ kind: 'upload', state: 'done', sink: this.sink.kind });
      } catch (err) {
        publishAudit({ kind: 'upload', state: 'failed', sink: this.sink.kind });
        this.failed(segment, attempts, err);
        await new Promise<void>((resolve) => {
          this.timer = setTimeout(resolve, delay);
          this.timer.unref();
        });
        delay = Math.min(delay * 2, this.opts.maxRetryMs ?? 60_000);
        continue;
      }
      if (attempts > 1) this.record('audit.upload-retried', segment, { attempts });
      this.queue.shift();
      this.queued.delete(segment);
      attempts = 0;
      delay = this.opts.retryMs ?? 1000;
      await this.marker.set(this.key, segment);
    }
  }

  private failed(segment: string, attempts: number, err: unknown): void {
    const code = (err as { code?: string }).code;
    this.logger.error(
      { segment, chain: this.opts.chain ?? '', sink: this.sink.kind, attempts, code },
      'audit segment copy failed; it stays queued and is tried again',
    );
    if (attempts === 1) this.record('audit.upload-failed', segment, {});
  }

  private record(
    type: 'audit.upload-failed' | 'audit.upload-retried',
    segment: string,
    extra: { readonly attempts?: number },
  ): void {
    const chain = this.opts.chain ?? '';
    this.audit
      .append({ type, body: { segment, ...(chain ? { chain } : {}), sink: this.sink.kind, ...extra } })
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

/** Names a sink in the shipped marker: its kind, bucket and prefix. */
function sinkKey(sink: Sink): string {
  return sink.kind === 'stdout' ? 'stdout' : `${sink.kind}://${sink.bucket}/${sink.prefix}`;
}
