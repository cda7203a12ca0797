/**
 * One result's masking: its RowDescription rewritten (masked columns announced as `text`, text
 * format) and each DataRow rewritten as it passes, row by row, nothing buffered. Also counts what
 * was masked for the `mask` audit event (counts only, never values).
 */
import type { ColumnMasker, ColumnPlan } from '../../../masking/column-masker';
import { ProtocolError } from '../wire/errors';
import type { OutboundBytes } from '../wire/outbound-bytes';
import {
  asText,
  binaryIsText,
  binaryToText,
  carriesNoText,
  encodeRowDescription,
  type FieldDescription,
  TypeOid,
} from '../wire/row-codec';

type MaskPlan = Extract<ColumnPlan, { kind: 'mask' }>;

export interface MaskSummary {
  readonly columns: { name: string; entity: string; strategy: string; values: number }[];
  readonly detections: Record<string, number>;
}

export class RowMasker {
  readonly plans: readonly ColumnPlan[];
  private readonly work: number[];
  private readonly values: number[];
  readonly detections: Record<string, number> = {};
  /** Per row, reused: each value's offset and length (-1: NULL), and the masked value of each `work` column. */
  private starts = new Int32Array(0);
  private lengths = new Int32Array(0);
  private readonly outs: (Buffer | null | undefined)[];

  constructor(
    private readonly columns: ColumnMasker,
    plans: readonly ColumnPlan[],
    private readonly fields: readonly FieldDescription[],
  ) {
    // Binary values the detectors cannot read (arrays, records, bytea) are masked whole: fail closed.
    this.plans = plans.map((p, i) => {
      const f = fields[i];
      if (p.kind !== 'scan' || !f || f.format !== 1) return p;
      if (carriesNoText(f.typeOid) || binaryIsText(f.typeOid) || f.typeOid === TypeOid.jsonb) return p;
      return columns.fallbackPlan();
    });
    this.work = [];
    this.plans.forEach((p, i) => {
      if (p.kind === 'mask' || (p.kind === 'scan' && !carriesNoText(fields[i]?.typeOid ?? 0)))
        this.work.push(i);
    });
    this.values = this.plans.map(() => 0);
    this.outs = this.work.map(() => undefined);
    this.grow(this.plans.length);
  }

  /** Whether any column is masked or scanned (no: rows pass untouched). */
  get active(): boolean {
    return this.work.length > 0;
  }

  /** Whether a column is masked other than `raw` (binary COPY of such a result is refused). */
  get masksValues(): boolean {
    return this.plans.some((p) => p.kind === 'scan' || (p.kind === 'mask' && p.strategy !== 'raw'));
  }

  /** The RowDescription the client gets. */
  description(original: Buffer): Buffer {
    if (!this.plans.some((p) => p.kind === 'mask' && p.strategy !== 'raw')) return original;
    return encodeRowDescription(
      this.fields.map((f, i) => {
        const p = this.plans[i]!;
        return p.kind === 'mask' && p.strategy !== 'raw' ? asText(f) : f;
      }),
    );
  }

  /**
   * The DataRow the client gets. Values are located in place (offsets, no views); only the masked
   * ones are produced, and the row is respliced around them: runs of untouched columns are copied
   * as they are, length prefixes included.
   */
  row(raw: Buffer): Buffer {
    const size = this.prepare(raw, 0, raw.length);
    if (size < 0) return raw;
    const row = Buffer.allocUnsafe(size);
    this.splice(raw, 0, raw.length, row, 0, size);
    return row;
  }

  /** The same for the DataRow at src[start, end), written into `out` (no allocation of its own). */
  rowInto(src: Buffer, start: number, end: number, out: OutboundBytes): void {
    const size = this.prepare(src, start, end);
    if (size < 0) {
      out.append(src, start, end);
      return;
    }
    const dst = out.reserve(size);
    this.splice(src, start, end, dst, out.reservedAt, size);
  }

  /**
   * Locates the row's values and masks the `work` ones into `outs`; returns the masked row's size,
   * or -1 when it goes out unchanged.
   */
  private prepare(raw: Buffer, rowStart: number, rowEnd: number): number {
    if (rowStart + 7 > rowEnd) throw new ProtocolError('upstream sent a short DataRow');
    const n = (raw[rowStart + 5]! << 8) | raw[rowStart + 6]!;
    // A column the RowDescription did not announce has no plan: it would leave unmasked.
    if (n !== this.fields.length)
      throw new ProtocolError(
        `upstream sent a DataRow of ${n} columns for a RowDescription of ${this.fields.length}`,
      );
    if (this.work.length === 0) return -1;
    if (n > this.starts.length) this.grow(n);
    const { starts, lengths, outs } = this;
    let at = rowStart + 7;
    for (let i = 0; i < n; i++) {
      if (at + 4 > rowEnd) throw new ProtocolError('upstream sent a short DataRow');
      // readInt32BE by hand: this runs per column of every row.
      const len = (raw[at]! << 24) | (raw[at + 1]! << 16) | (raw[at + 2]! << 8) | raw[at + 3]!;
      at += 4;
      starts[i] = at;
      lengths[i] = len;
      if (len > 0) {
        if (at + len > rowEnd) throw new ProtocolError('upstream sent a short DataRow');
        at += len;
      } else if (len < -1) throw new ProtocolError('upstream sent a DataRow value of negative length');
    }
    if (at !== rowEnd) throw new ProtocolError('upstream sent a DataRow with bytes after its last value');
    let changed = 0;
    let size = rowEnd - rowStart;
    const work = this.work;
    for (let k = 0; k < work.length; k++) {
      const i = work[k]!;
      outs[k] = undefined;
      if (i >= n || lengths[i]! < 0) continue;
      const plan = this.plans[i]!;
      const start = starts[i]!;
      const out =
        plan.kind === 'mask'
          ? this.maskValue(plan, this.fields[i]!, raw, start, lengths[i]!, i)
          : this.scanValue(this.fields[i]!, raw, start, lengths[i]!);
      if (out === undefined) continue;
      outs[k] = out;
      changed++;
      size += (out === null ? 0 : out.length) - lengths[i]!;
    }
    return changed === 0 ? -1 : size;
  }

  /** Writes the row prepared from raw[rowStart, rowEnd) into row[at, at + size). */
  private splice(raw: Buffer, rowStart: number, rowEnd: number, row: Buffer, at: number, size: number): void {
    const { starts, lengths, outs, work } = this;
    let from = rowStart;
    let to = at;
    for (let k = 0; k < work.length; k++) {
      const out = outs[k];
      if (out === undefined) continue;
      outs[k] = undefined;
      const i = work[k]!;
      // Everything up to this value's length prefix, unchanged.
      to = copyBytes(raw, from, starts[i]! - 4, row, to);
      if (out === null) to = int32(row, to, -1);
      else {
        to = int32(row, to, out.length);
        to = copyBytes(out, 0, out.length, row, to);
      }
      from = starts[i]! + lengths[i]!;
    }
    copyBytes(raw, from, rowEnd, row, to);
    int32(row, at + 1, size - 1);
  }

  /** A masked text value (used by COPY, whose fields are text already). */
  maskText(plan: ColumnPlan, value: string): string | null {
    if (plan.kind === 'pass') return value;
    if (plan.kind === 'scan') {
      const m = this.columns.scan(value);
      this.addDetections(m.counts);
      return m.text;
    }
    return this.columns.mask(plan, value);
  }

  summary(): MaskSummary | undefined {
    const columns = this.plans.flatMap((p, i) =>
      p.kind === 'mask'
        ? [
            {
              name: this.fields[i]?.name ?? `column${i + 1}`,
              entity: p.entity,
              strategy: p.strategy,
              values: this.values[i]!,
            },
          ]
        : [],
    );
    if (columns.length === 0 && Object.keys(this.detections).length === 0) return undefined;
    return { columns, detections: this.detections };
  }

  /** Counts a COPY field masked under plan `i`. */
  countValue(i: number): void {
    this.values[i] = (this.values[i] ?? 0) + 1;
  }

  /** The masked value of raw[start, start + length), or undefined when it goes out unchanged. */
  private maskValue(
    plan: MaskPlan,
    f: FieldDescription,
    raw: Buffer,
    start: number,
    length: number,
    i: number,
  ): Buffer | null | undefined {
    this.values[i]!++;
    switch (plan.strategy) {
      case 'raw':
        return undefined;
      case 'null':
        return null;
      case 'redact':
        return this.columns.label(plan.entity);
    }
    if (f.format === 0 || binaryIsText(f.typeOid))
      return this.columns.maskUtf8(plan, raw, start, start + length);
    const text = binaryToText(f.typeOid, raw.subarray(start, start + length));
    // A binary value the gateway cannot read cannot be cut or tokenised: redact it.
    if (text === undefined) return this.columns.label(plan.entity);
    const out = this.columns.mask(plan, text);
    return out === null ? null : Buffer.from(out, 'utf8');
  }

  private scanValue(f: FieldDescription, raw: Buffer, start: number, length: number): Buffer | undefined {
    if (f.format === 1 && f.typeOid === TypeOid.jsonb) {
      // Binary jsonb: a version byte, then the JSON text.
      const text = raw.toString('utf8', start + 1, start + length);
      const m = this.columns.scan(text);
      if (m.text === text) return undefined;
      this.addDetections(m.counts);
      return Buffer.concat([raw.subarray(start, start + 1), Buffer.from(m.text, 'utf8')]);
    }
    const scanned = this.columns.scanUtf8(raw, start, start + length);
    if (!scanned) return undefined;
    this.addDetections(scanned.counts);
    return scanned.bytes;
  }

  private grow(n: number): void {
    this.starts = new Int32Array(n);
    this.lengths = new Int32Array(n);
  }

  private addDetections(counts: Readonly<Record<string, number>>): void {
    for (const [k, n] of Object.entries(counts)) this.detections[k] = (this.detections[k] ?? 0) + n;
  }
}

/** writeInt32BE without its argument checks (the offsets are computed here); returns the end. */
function int32(dst: Buffer, at: number, value: number): number {
  dst[at] = value >>> 24;
  dst[at + 1] = value >>> 16;
  dst[at + 2] = value >>> 8;
  dst[at + 3] = value;
  return at + 4;
}

/**
 * src[from, end) into dst at `at`; returns the end in dst. Values and the runs between them are
 * short, where a loop beats Buffer#copy's argument checks by far.
 */
function copyBytes(src: Buffer, from: number, end: number, dst: Buffer, at: number): number {
  if (end - from > 64) return at + src.copy(dst, at, from, end);
  for (let i = from; i < end; i++) dst[at++] = src[i]!;
  return at;
}
