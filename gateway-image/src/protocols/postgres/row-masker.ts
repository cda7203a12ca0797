/**
 * One result's masking: its RowDescription rewritten (masked columns announced as `text`, text
 * format) and each DataRow rewritten as it passes, row by row, nothing buffered. Also counts what
 * was masked for the `mask` audit event (counts only, never values).
 */
import type { ColumnMasker, ColumnPlan } from '../../masking/column-masker';
import { redactionLabel } from '../../masking/entities';
import {
  asText,
  binaryIsText,
  binaryToText,
  carriesNoText,
  decodeDataRow,
  encodeDataRow,
  encodeRowDescription,
  type FieldDescription,
  TypeOid,
} from './row-codec';

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
  private readonly labels = new Map<string, Buffer>();

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

  /** The DataRow the client gets. */
  row(raw: Buffer): Buffer {
    if (this.work.length === 0) return raw;
    const values = decodeDataRow(raw);
    let changed = false;
    for (const i of this.work) {
      const v = values[i];
      if (v === null || v === undefined) continue;
      const plan = this.plans[i]!;
      const f = this.fields[i]!;
      const out = plan.kind === 'mask' ? this.maskValue(plan, f, v, i) : this.scanValue(f, v);
      if (out !== v) {
        values[i] = out;
        changed = true;
      }
    }
    return changed ? encodeDataRow(values) : raw;
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

  private maskValue(plan: MaskPlan, f: FieldDescription, v: Buffer, i: number): Buffer | null {
    this.values[i]!++;
    if (plan.strategy === 'raw') return v;
    if (plan.strategy === 'redact') return this.label(plan.entity);
    const text = f.format === 0 ? v.toString('utf8') : binaryToText(f.typeOid, v);
    // A binary value the gateway cannot read cannot be cut or tokenised: redact it.
    const out =
      text === undefined
        ? plan.strategy === 'null'
          ? null
          : redactionLabel(plan.entity)
        : this.columns.mask(plan, text);
    return out === null ? null : Buffer.from(out, 'utf8');
  }

  private scanValue(f: FieldDescription, v: Buffer): Buffer {
    const jsonb = f.format === 1 && f.typeOid === TypeOid.jsonb;
    const text = v.toString('utf8', jsonb ? 1 : 0);
    const m = this.columns.scan(text);
    if (m.text === text) return v;
    this.addDetections(m.counts);
    const body = Buffer.from(m.text, 'utf8');
    return jsonb ? Buffer.concat([v.subarray(0, 1), body]) : body;
  }

  private label(entity: string): Buffer {
    let b = this.labels.get(entity);
    if (!b) {
      b = Buffer.from(redactionLabel(entity), 'utf8');
      this.labels.set(entity, b);
    }
    return b;
  }

  private addDetections(counts: Readonly<Record<string, number>>): void {
    for (const [k, n] of Object.entries(counts)) this.detections[k] = (this.detections[k] ?? 0) + n;
  }
}
