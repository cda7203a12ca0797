/** Segment files: names, listing, reading lines, and the narrow file interface the writer uses. */
import { createReadStream, writeSync } from 'node:fs';
import { type FileHandle, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const SEGMENT_RE = /^segment-(\d{6,})\.jsonl$/;

export interface SegmentRef {
  readonly name: string;
  readonly number: number;
  readonly path: string;
}

export function segmentName(n: number): string {
  return `segment-${String(n).padStart(6, '0')}.jsonl`;
}

export function segmentNumber(name: string): number | undefined {
  const m = SEGMENT_RE.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Segment files in `dir`, in order; other files are ignored. */
export async function listSegments(dir: string): Promise<SegmentRef[]> {
  const names = await readdir(dir);
  const refs: SegmentRef[] = [];
  for (const name of names) {
    const number = segmentNumber(name);
    if (number !== undefined) refs.push({ name, number, path: join(dir, name) });
  }
  return refs.sort((a, b) => a.number - b.number);
}

/** One line of a segment. `complete` is false only for a final line with no newline (torn). */
export interface SegmentLine {
  readonly text: string;
  readonly lineNo: number;
  readonly complete: boolean;
}

/** Stream the lines of a segment without holding the file in memory. */
export async function* readSegmentLines(path: string): AsyncGenerator<SegmentLine> {
  let rest = '';
  let lineNo = 0;
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string);
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      lineNo++;
      yield { text: text.slice(start, nl), lineNo, complete: true };
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest.length > 0) yield { text: rest, lineNo: lineNo + 1, complete: false };
}

/** The end of a segment: its last complete lines and any bytes after the last newline. */
export interface SegmentTail {
  readonly size: number;
  /** Up to `want` last complete lines, oldest first. */
  readonly lines: string[];
  /** Bytes after the last newline (a torn write), empty when the file ends cleanly. */
  readonly torn: Buffer;
}

/**
 * Read the end of a segment backwards in chunks, so reopening a large segment does not read all of
 * it. Stops once `want` complete lines are found or the start of the file is reached.
 */
export async function readSegmentTail(path: string, want: number): Promise<SegmentTail> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const chunkSize = 256 * 1024;
    let buf = Buffer.alloc(0);
    let pos = size;
    while (pos > 0) {
      const len = Math.min(chunkSize, pos);
      pos -= len;
      const chunk = Buffer.alloc(len);
      await readFully(fh, chunk, pos);
      buf = Buffer.concat([chunk, buf]);
      if (countNewlines(buf) > want) break;
    }
    const lastNl = buf.lastIndexOf(0x0a);
    const torn = buf.subarray(lastNl + 1);
    const body = lastNl === -1 ? '' : buf.subarray(0, lastNl).toString('utf8');
    const all = body === '' && lastNl === -1 ? [] : body.split('\n');
    // When the read stopped mid-file, the first piece may be a partial line: drop it.
    const lines = pos > 0 ? all.slice(1) : all;
    return { size, lines: lines.slice(-want), torn: Buffer.from(torn) };
  } finally {
    await fh.close();
  }
}

/** The first line of a segment, or undefined when it has none. */
export async function readFirstLine(path: string): Promise<string | undefined> {
  for await (const line of readSegmentLines(path)) return line.complete ? line.text : undefined;
  return undefined;
}

async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesRead } = await fh.read(buf, off, buf.length - off, position + off);
    if (bytesRead === 0) throw new Error(`unexpected end of file at ${position + off}`);
    off += bytesRead;
  }
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * The writer's view of an open segment. It is the seam for fault injection in tests: the only
 * operations whose failure must turn into a refused command.
 */
export interface SegmentFile {
  /** Append all of `data` at the end of the file. */
  append(data: Buffer): Promise<void>;
  /** Make every appended byte durable (fdatasync). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface AuditFileSystem {
  /** Open (creating if needed, mode 0640) a segment for appending. */
  openSegment(path: string): Promise<SegmentFile>;
}

/** The real file system. */
export const nodeAuditFileSystem: AuditFileSystem = {
  async openSegment(path) {
    const fh = await open(path, 'a', 0o640);
    return {
      // A batch is a few kilobytes into the page cache: written on the calling thread, it costs
      // microseconds, where a trip through libuv's thread pool costs a scheduling round (up to a
      // millisecond on a busy host) before the fdatasync, which does need one.
      async append(data) {
        let off = 0;
        while (off < data.length) off += writeSync(fh.fd, data, off, data.length - off);
      },
      sync: () => fh.datasync(),
      close: () => fh.close(),
    };
  },
};

/** fsync a directory so a newly created segment's entry survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
