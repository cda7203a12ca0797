/**
 * Reopening a log directory: find where the chain ends so appends continue it. Only the tail is
 * checked here (the last events of the last segment); `verifyAuditLog` checks everything.
 */
import { chmod, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditError } from '../errors';
import { eventHash, GENESIS_HASH, parseEventLine, type RecordedEvent, sha256Hex } from './event';
import {
  listSegments,
  readFirstLine,
  readSegmentTail,
  type SegmentRef,
  segmentName,
  syncDirectory,
} from './segments';

/** A torn final line that was cut off on open; recorded as an `audit.recovered` event. */
export interface TornTailRepair {
  readonly segment: string;
  readonly truncatedBytes: number;
  /** SHA-256 of the discarded bytes, so the repair can be matched against a copy if one exists. */
  readonly truncatedSha256: string;
}

/** Where the chain continues. */
export interface RecoveredState {
  readonly segment: string;
  readonly segmentNumber: number;
  readonly segmentBytes: number;
  /** Epoch ms of the segment's first event (or now for an empty segment); drives age rotation. */
  readonly segmentStartedAt: number;
  readonly segmentEvents: number;
  readonly lastSeq: number;
  readonly lastHash: string;
  /** The previous writer ended on a checkpoint (or the directory is new). */
  readonly cleanShutdown: boolean;
  readonly created: boolean;
  readonly repair?: TornTailRepair;
}

export async function recoverLog(dir: string, repairTornTail: boolean): Promise<RecoveredState> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const segments = await listSegments(dir);
  const last = segments.at(-1);
  if (last === undefined) return fresh(dir);

  const tail = await readSegmentTail(last.path, 2);
  let repair: TornTailRepair | undefined;
  let size = tail.size;
  if (tail.torn.length > 0) {
    if (!repairTornTail) {
      throw new AuditError(
        `audit segment ${last.name} ends with an incomplete line (${tail.torn.length} bytes after the last newline), ` +
          'probably from a crash mid-write; reopen with repairTornTail to cut it off and record the repair',
      );
    }
    size -= tail.torn.length;
    await truncateDurably(last.path, size);
    repair = { segment: last.name, truncatedBytes: tail.torn.length, truncatedSha256: sha256Hex(tail.torn) };
  }

  const events = tail.lines.map((line) => checkedEvent(line, last.name));
  if (events.length === 2 && !follows(events[0]!, events[1]!)) {
    throw corrupt(last.name, `event ${events[1]!.seq} does not follow event ${events[0]!.seq}`);
  }
  const lastEvent = events.at(-1) ?? (await previousTail(segments));
  if (lastEvent === undefined) return { ...(await fresh(dir, last)), repair };

  const cleanShutdown = lastEvent.type === 'checkpoint';
  const sealedNext = sealedNextSegment(events);
  if (sealedNext !== undefined) {
    // The writer stopped between sealing this segment and opening the next: finish the rotation.
    await chmod(last.path, 0o444);
    const number = last.number + 1;
    if (sealedNext !== segmentName(number)) throw corrupt(last.name, `it is sealed naming ${sealedNext}`);
    await createSegment(dir, sealedNext);
    return base(sealedNext, number, 0, Date.now(), 0, lastEvent, cleanShutdown, repair);
  }
  const first = size > 0 ? await readFirstLine(last.path) : undefined;
  const firstEvent = first === undefined ? undefined : parseEventLine(first);
  const startedAt = typeof firstEvent === 'object' ? Date.parse(firstEvent.time) : Date.now();
  return base(last.name, last.number, size, startedAt, size > 0 ? 1 : 0, lastEvent, cleanShutdown, repair);
}

function base(
  segment: string,
  segmentNumber: number,
  segmentBytes: number,
  segmentStartedAt: number,
  segmentEvents: number,
  lastEvent: RecordedEvent,
  cleanShutdown: boolean,
  repair: TornTailRepair | undefined,
): RecoveredState {
  return {
    segment,
    segmentNumber,
    segmentBytes,
    segmentStartedAt,
    segmentEvents,
    lastSeq: lastEvent.seq,
    lastHash: lastEvent.hash,
    cleanShutdown,
    created: false,
    repair,
  };
}

async function fresh(dir: string, existing?: SegmentRef): Promise<RecoveredState> {
  const segment = existing?.name ?? segmentName(1);
  if (existing === undefined) await createSegment(dir, segment);
  return {
    segment,
    segmentNumber: existing?.number ?? 1,
    segmentBytes: 0,
    segmentStartedAt: Date.now(),
    segmentEvents: 0,
    lastSeq: 0,
    lastHash: GENESIS_HASH,
    cleanShutdown: true,
    created: true,
  };
}

/** The last segment is empty (a crash right after rotation): the chain ends in the one before. */
async function previousTail(segments: readonly SegmentRef[]): Promise<RecordedEvent | undefined> {
  const prev = segments.at(-2);
  if (prev === undefined) return undefined;
  const tail = await readSegmentTail(prev.path, 1);
  if (tail.torn.length > 0) throw corrupt(prev.name, 'a sealed segment ends with an incomplete line');
  const line = tail.lines.at(-1);
  if (line === undefined) throw corrupt(prev.name, 'a sealed segment is empty');
  return checkedEvent(line, prev.name);
}

/** `segment.sealed` followed by its checkpoint ends a sealed segment; returns the next name. */
function sealedNextSegment(events: readonly RecordedEvent[]): string | undefined {
  const [a, b] = events;
  if (events.length !== 2 || a?.type !== 'segment.sealed' || b?.type !== 'checkpoint') return undefined;
  return typeof a.body.next === 'string' ? a.body.next : '';
}

function checkedEvent(line: string, segment: string): RecordedEvent {
  const parsed = parseEventLine(line);
  if (typeof parsed === 'string') throw corrupt(segment, parsed);
  if (eventHash(parsed) !== parsed.hash)
    throw corrupt(segment, `event ${parsed.seq} does not match its hash`);
  return parsed;
}

function follows(a: RecordedEvent, b: RecordedEvent): boolean {
  return b.seq === a.seq + 1 && b.prev === a.hash;
}

function corrupt(segment: string, why: string): AuditError {
  return new AuditError(
    `audit segment ${segment} has a damaged tail (${why}); refusing to continue the chain — run \`warden audit verify\``,
  );
}

async function truncateDurably(path: string, size: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(size);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function createSegment(dir: string, name: string): Promise<void> {
  const fh = await open(join(dir, name), 'a', 0o640);
  await fh.close();
  await syncDirectory(dir);
}
