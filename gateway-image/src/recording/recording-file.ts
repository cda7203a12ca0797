/**
 * One recording file, written off the data path: lines are buffered and written in batches (when
 * the buffer passes `flushBytes` or `flushIntervalMs` after the first pending line), in order,
 * one write at a time. `close()` writes what is left, fsyncs and closes. The first I/O error is
 * reported once through `onError` and the file stops taking lines; callers never see a throw.
 */
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface RecordingFileOptions {
  /** @default 64 KiB */
  readonly flushBytes?: number;
  /** @default 200 */
  readonly flushIntervalMs?: number;
  onError(err: unknown): void;
}

type Handle = Awaited<ReturnType<typeof open>>;

export class RecordingFile {
  private pending: string[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private handle: Handle | undefined;
  private chain: Promise<void>;
  private failed = false;
  private closed = false;
  private opened = false;
  private readonly flushBytes: number;
  private readonly flushIntervalMs: number;

  constructor(
    readonly path: string,
    private readonly o: RecordingFileOptions,
  ) {
    this.flushBytes = o.flushBytes ?? 64 * 1024;
    this.flushIntervalMs = o.flushIntervalMs ?? 200;
    // Recordings hold result rows: owner-only directory and files; 'wx' never reuses a file.
    this.chain = mkdir(dirname(path), { recursive: true, mode: 0o700 })
      .then(() => open(path, 'wx', 0o600))
      .then(
        (h) => {
          this.handle = h;
          this.opened = true;
        },
        (err: unknown) => this.fail(err),
      );
  }

  /** Whether the file was created: false when it could not be (its directory unwritable, say). */
  get created(): boolean {
    return this.opened;
  }

  append(line: object): void {
    if (this.failed || this.closed) return;
    const text = `${JSON.stringify(line)}\n`;
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= this.flushBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushIntervalMs).unref();
  }

  /** Writes what is pending, fsyncs and closes. Resolves even when the file failed. */
  async close(): Promise<void> {
    if (this.closed) return this.chain;
    this.flush();
    this.closed = true;
    this.chain = this.chain.then(async () => {
      const h = this.handle;
      if (!h) return;
      this.handle = undefined;
      try {
        if (!this.failed) await h.sync();
      } catch (err) {
        this.fail(err);
      } finally {
        await h.close().catch(() => undefined);
      }
    });
    return this.chain;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const data = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    this.chain = this.chain.then(async () => {
      if (this.failed || !this.handle) return;
      try {
        await this.handle.write(data);
      } catch (err) {
        this.fail(err);
      }
    });
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.pending = [];
    clearTimeout(this.timer);
    this.o.onError(err);
  }
}
