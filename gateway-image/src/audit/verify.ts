/**
 * Offline verification of an audit log directory (`warden audit verify DIR`).
 *
 * What it proves: every event matches its hash; seq runs 1, 2, 3… with each `prev` naming the
 * event before (so modified, deleted, inserted and reordered events show up); every checkpoint
 * vouches for the event before it and, given the public key, carries a valid signature; every
 * segment but the last ends sealed, naming the next file (so a deleted later segment shows up);
 * and the log ends on a checkpoint (otherwise it is an "unsealed tail": a crash, a truncation, or a
 * log still being written, which `allowOpenTail` accepts).
 * What it cannot prove on its own: that nothing was cut off exactly at a checkpoint boundary. That
 * is why sealed segments go to write-once storage, which holds the reference copy.
 */
import type { KeyObject } from 'node:crypto';
import { AuditError } from '../errors';
import { listChains } from './chains';
import { eventHash, GENESIS_HASH, parseEventLine, type RecordedEvent } from './event';
import { auditKeyId, loadAuditPublicKey, verifyCheckpoint } from './keys';
import { listSegments, readSegmentLines, type SegmentRef } from './segments';

export { formatDirVerifyResult, formatVerifyResult } from './format';

export type VerifyProblemKind =
  | 'no-segments'
  | 'missing-segment'
  | 'segment-not-sealed'
  | 'event-after-seal'
  | 'torn-line'
  | 'malformed'
  | 'hash-mismatch'
  | 'seq-gap'
  | 'seq-out-of-order'
  | 'prev-mismatch'
  | 'checkpoint-mismatch'
  | 'bad-signature'
  | 'unsealed-tail';

export interface VerifyProblem {
  /** The first seq the problem makes untrustworthy, when one can be named. */
  readonly seq: number | null;
  readonly segment: string | null;
  /** 1-based line in `segment`. */
  readonly line: number | null;
  readonly kind: VerifyProblemKind;
  readonly message: string;
}

export interface VerifyOptions {
  /** Ed25519 public key (KeyObject or PEM); without it checkpoints are only hash-checked. */
  readonly publicKey?: KeyObject | string | Buffer;
  /** Accept a log that does not end on a checkpoint (one still being written). @default false */
  readonly allowOpenTail?: boolean;
  /** Problems listed in full; later ones are only counted. @default 1000 */
  readonly maxProblems?: number;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly events: number;
  readonly segments: number;
  /** Highest seq seen (0 for an empty log). */
  readonly lastSeq: number;
  /** Seq of the last checkpoint event that passed every check (0 when none did). */
  readonly lastCheckpointSeq: number;
  readonly checkpoints: number;
  /** False when no public key was given: checkpoints were hash-checked only. */
  readonly signaturesVerified: boolean;
  readonly keyId?: string;
  /** Events after the last checkpoint. */
  readonly unsealedEvents: number;
  readonly problems: readonly VerifyProblem[];
  readonly problemsOmitted: number;
  /** Lowest seq named by a problem. */
  readonly firstBadSeq?: number;
}

export interface ChainVerifyResult {
  /** '' for the directory's own chain, else the worker chain's id (see chains.ts). */
  readonly id: string;
  readonly result: VerifyResult;
}

export interface AuditDirVerifyResult {
  /** True only when every chain verified. */
  readonly ok: boolean;
  readonly chains: readonly ChainVerifyResult[];
}

/**
 * Verify every chain of an audit directory: its own and each worker's under `chains/`. Throws only
 * when a directory or the key cannot be read.
 */
export async function verifyAuditDir(
  dir: string,
  options: VerifyOptions = {},
): Promise<AuditDirVerifyResult> {
  const chains = await listChains(dir).catch((err: Error) => {
    throw new AuditError(`cannot read the audit log directory ${dir}: ${err.message}`, { cause: err });
  });
  const results: ChainVerifyResult[] = [];
  for (const chain of chains)
    results.push({ id: chain.id, result: await verifyAuditLog(chain.dir, options) });
  return { ok: results.every((r) => r.result.ok), chains: results };
}

/** Verify every segment in `dir` (one chain). Throws only when the directory or the key cannot be read. */
export async function verifyAuditLog(dir: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const key = options.publicKey === undefined ? undefined : loadAuditPublicKey(options.publicKey);
  const v = new Verifier(key, options.maxProblems ?? 1000);
  const segments = await listSegments(dir).catch((err: Error) => {
    throw new AuditError(`cannot read the audit log directory ${dir}: ${err.message}`, { cause: err });
  });
  if (segments.length === 0)
    v.report(null, null, null, 'no-segments', `no segment-NNNNNN.jsonl files in ${dir}`);
  for (const [i, seg] of segments.entries()) {
    await v.segment(seg, i === segments.length - 1, options.allowOpenTail ?? false);
    const next = segments[i + 1];
    if (next !== undefined) v.checkSealed(seg, next);
  }
  v.finish(options.allowOpenTail ?? false);
  return v.result(segments.length, key);
}

class Verifier {
  private readonly problems: VerifyProblem[] = [];
  private omitted = 0;
  private firstBadSeq: number | undefined;
  private expectSeq = 1;
  private prevHash: string | undefined = GENESIS_HASH;
  private events = 0;
  private lastSeq = 0;
  private checkpoints = 0;
  private lastCheckpointSeq = 0;
  private afterCheckpoint = 0;
  private firstAfterCheckpoint: number | undefined;
  /** The last two events of the segment being read: a sealed segment ends [segment.sealed, checkpoint]. */
  private window: RecordedEvent[] = [];
  private lastLocation: { segment: string; line: number } | undefined;

  constructor(
    private readonly key: KeyObject | undefined,
    private readonly maxProblems: number,
  ) {}

  report(
    seq: number | null,
    segment: string | null,
    line: number | null,
    kind: VerifyProblemKind,
    message: string,
  ): void {
    if (seq !== null && (this.firstBadSeq === undefined || seq < this.firstBadSeq)) this.firstBadSeq = seq;
    if (this.problems.length >= this.maxProblems) this.omitted++;
    else this.problems.push({ seq, segment, line, kind, message });
  }

  async segment(seg: SegmentRef, isLast: boolean, allowOpenTail: boolean): Promise<void> {
    this.window = [];
    for await (const { text, lineNo, complete } of readSegmentLines(seg.path)) {
      this.lastLocation = { segment: seg.name, line: lineNo };
      if (!complete) {
        // A live writer may be mid-append; anywhere else an incomplete line is damage.
        if (!(isLast && allowOpenTail)) {
          this.report(
            this.expectSeq,
            seg.name,
            lineNo,
            'torn-line',
            `incomplete final line (${text.length} chars)`,
          );
        }
        continue;
      }
      const parsed = parseEventLine(text);
      if (typeof parsed === 'string') {
        this.report(this.expectSeq, seg.name, lineNo, 'malformed', parsed);
        // Assume the line stood for one event and skip the link check of the next one.
        this.expectSeq++;
        this.prevHash = undefined;
        continue;
      }
      this.event(parsed, seg.name, lineNo);
    }
  }

  private event(e: RecordedEvent, segment: string, line: number): void {
    if (
      this.window.length === 2 &&
      this.window[0]!.type === 'segment.sealed' &&
      this.window[1]!.type === 'checkpoint'
    ) {
      this.report(e.seq, segment, line, 'event-after-seal', `event ${e.seq} follows the seal of ${segment}`);
    }
    if (eventHash(e) !== e.hash) {
      this.report(e.seq, segment, line, 'hash-mismatch', `event ${e.seq} does not match its hash (modified)`);
    }
    if (e.seq > this.expectSeq) {
      const missing = e.seq - 1 === this.expectSeq ? `${this.expectSeq}` : `${this.expectSeq}..${e.seq - 1}`;
      this.report(
        this.expectSeq,
        segment,
        line,
        'seq-gap',
        `seq ${missing} missing before event ${e.seq} (deleted)`,
      );
    } else if (e.seq < this.expectSeq) {
      this.report(
        e.seq,
        segment,
        line,
        'seq-out-of-order',
        `event ${e.seq} appears where ${this.expectSeq} was expected (inserted, duplicated or reordered)`,
      );
    } else if (this.prevHash !== undefined && e.prev !== this.prevHash) {
      this.report(
        e.seq,
        segment,
        line,
        'prev-mismatch',
        `event ${e.seq} does not link to the event before it`,
      );
    }
    if (e.type === 'checkpoint') this.checkpoint(e, segment, line);
    else if (this.afterCheckpoint++ === 0) this.firstAfterCheckpoint = e.seq;
    this.prevHash = e.hash;
    this.expectSeq = Math.max(this.expectSeq, e.seq + 1);
    this.lastSeq = Math.max(this.lastSeq, e.seq);
    this.events++;
    this.window = [...this.window.slice(-1), e];
  }

  private checkpoint(e: RecordedEvent, segment: string, line: number): void {
    this.checkpoints++;
    this.afterCheckpoint = 0;
    this.firstAfterCheckpoint = undefined;
    const { upTo, hash, signature, keyId } = e.body;
    const claim = { upTo, hash, segment: e.body.segment };
    const unvouched = `events ${this.lastCheckpointSeq + 1}..${e.seq - 1} are not vouched for`;
    if (
      typeof upTo !== 'number' ||
      typeof hash !== 'string' ||
      typeof signature !== 'string' ||
      upTo !== e.seq - 1 ||
      hash !== e.prev ||
      claim.segment !== segment
    ) {
      const why = `checkpoint ${e.seq} does not vouch for event ${e.seq - 1} in ${segment}`;
      this.report(e.seq, segment, line, 'checkpoint-mismatch', `${why}; ${unvouched}`);
      return;
    }
    if (this.key !== undefined && !verifyCheckpoint({ upTo, hash, segment }, signature, this.key)) {
      const expected = auditKeyId(this.key);
      const signer = keyId === expected ? '' : ` (claims key ${String(keyId)}, expected ${expected})`;
      this.report(
        e.seq,
        segment,
        line,
        'bad-signature',
        `checkpoint ${e.seq} signature is invalid${signer}; ${unvouched}`,
      );
      return;
    }
    this.lastCheckpointSeq = e.seq;
  }

  /** `seg` is followed by `next`: it must end sealed, naming `next`. */
  checkSealed(seg: SegmentRef, next: SegmentRef): void {
    const [marker, cp] = this.window;
    const at = this.window.at(-1);
    if (marker?.type !== 'segment.sealed' || cp?.type !== 'checkpoint') {
      const seq = at === undefined ? null : at.seq + 1;
      this.report(
        seq,
        seg.name,
        null,
        'segment-not-sealed',
        `${seg.name} is followed by ${next.name} but was not sealed`,
      );
    } else if (marker.body.next !== next.name) {
      this.report(
        cp.seq + 1,
        next.name,
        null,
        'missing-segment',
        `${seg.name} was sealed naming ${String(marker.body.next)} as next, but the next file is ${next.name}`,
      );
    }
  }

  finish(allowOpenTail: boolean): void {
    const [marker, cp] = this.window;
    if (marker?.type === 'segment.sealed' && cp?.type === 'checkpoint') {
      const name = String(marker.body.next);
      this.report(
        cp.seq + 1,
        name,
        null,
        'missing-segment',
        `the last segment was sealed naming ${name}, which is missing`,
      );
    }
    if (this.afterCheckpoint > 0 && !allowOpenTail) {
      const loc = this.lastLocation;
      this.report(
        this.firstAfterCheckpoint ?? null,
        loc?.segment ?? null,
        loc?.line ?? null,
        'unsealed-tail',
        `${this.afterCheckpoint} event(s) after the last checkpoint: the log was not closed cleanly or was truncated`,
      );
    }
  }

  result(segments: number, key: KeyObject | undefined): VerifyResult {
    const total = this.problems.length + this.omitted;
    return {
      ok: total === 0,
      events: this.events,
      segments,
      lastSeq: this.lastSeq,
      lastCheckpointSeq: this.lastCheckpointSeq,
      checkpoints: this.checkpoints,
      signaturesVerified: key !== undefined,
      ...(key ? { keyId: auditKeyId(key) } : {}),
      unsealedEvents: this.afterCheckpoint,
      problems: this.problems,
      problemsOmitted: this.omitted,
      ...(this.firstBadSeq !== undefined ? { firstBadSeq: this.firstBadSeq } : {}),
    };
  }
}
