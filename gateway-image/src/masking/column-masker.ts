/**
 * Decides, per output column of a result, what masking applies, and masks values. Protocol-free:
 * the Postgres adapter hands it each column's origin (table OID and attribute number, as
 * RowDescription names it) and the statement's lineage; it answers with a plan per column.
 *
 * A column's entity is the most sensitive of what the catalog says about its origin and what the
 * lineage says about its expression. Unknown lineage on a PHI connection is masked as the
 * fallback entity (fail closed). Columns with no entity on a PHI connection get the detectors.
 *
 * Masked values are always text: every strategy's output is a string, and the adapter announces
 * masked columns as `text`, so drivers never parse a label as an integer or a date.
 */

import { BYTE_MEMO_MAX, ByteMemo } from './byte-memo';
import type { CatalogSnapshot, SharedCatalog } from './catalog';
import { mostSensitive, redactionLabel } from './entities';
import type { Lineage, Output } from './lineage';
import { type ClassificationLookup, entityOfOutput } from './lineage/resolve';
import type { MaskingPolicy } from './profile';
import { applyStrategy, applyStrategyUtf8, type MaskingStrategy, strictest } from './strategies';
import type { MaskedText, TextMasker } from './text-masker';
import type { TokenKeyring } from './token';

/** Entity of values whose origin cannot be established on a connection that holds PHI. */
export const FALLBACK_ENTITY = 'PHI';

/**
 * Catalog relations whose rows are samples of other tables' values (planner statistics): reading
 * them is reading PHI of unknown kind.
 */
const VALUE_SAMPLES = /^pg_catalog\.pg_(stats|stats_ext|stats_ext_exprs|statistic|statistic_ext_data)$/;

export type ColumnPlan =
  | { readonly kind: 'pass' }
  /** Unclassified on a PHI connection: free-text detectors. */
  | { readonly kind: 'scan' }
  | {
      readonly kind: 'mask';
      readonly entity: string;
      readonly strategy: MaskingStrategy;
    };

/** A scanned value that changed: its masked bytes and what was masked (counts only). */
export interface ScannedBytes {
  readonly bytes: Buffer;
  readonly counts: Readonly<Record<string, number>>;
}

export interface ColumnOrigin {
  /** 0 when the column is not a plain reference to a table column. */
  readonly tableOid: number;
  readonly column: number;
}

export interface ColumnMaskerOptions {
  /** "schema.table.column" (or "schema.table.*") → entity. */
  readonly classification: Readonly<Record<string, string>>;
  readonly policy: MaskingPolicy;
  readonly catalog: SharedCatalog;
  /** Whether the connection may hold PHI: unknown lineage is masked, free text is scanned. */
  readonly phi: boolean;
  readonly textMasker: TextMasker;
  readonly tokens?: TokenKeyring;
}

export class ColumnMasker {
  private readonly classified = new Map<string, string>();
  private readonly relations: string[];
  private readonly scans = new Map<string, MaskedText>();
  private readonly byteScans = new ByteMemo<ScannedBytes | undefined>();
  private readonly labels = new Map<string, Buffer>();
  private readonly ctx: { tokens: TokenKeyring | undefined; maskText: (t: string) => string };

  constructor(private readonly o: ColumnMaskerOptions) {
    for (const [k, v] of Object.entries(o.classification)) this.classified.set(k.toLowerCase(), v);
    this.relations = [...new Set([...this.classified.keys()].map((k) => k.slice(0, k.lastIndexOf('.'))))];
    this.ctx = { tokens: o.tokens, maskText: (t) => o.textMasker.mask(t).text };
  }

  get policy(): MaskingPolicy {
    return this.o.policy;
  }

  /** The plan for a value nothing can vouch for (e.g. binary data the detectors cannot read). */
  fallbackPlan(): ColumnPlan {
    return this.decide([FALLBACK_ENTITY], false);
  }

  get textMasker(): TextMasker {
    return this.o.textMasker;
  }

  get catalog(): SharedCatalog {
    return this.o.catalog;
  }

  /** Whether this session masks anything at all (no PHI and no classification: a pure relay). */
  get active(): boolean {
    return this.o.phi || this.classified.size > 0;
  }

  /** One plan per column; 'unknown' lineage (or one that does not line up) fails closed. */
  plan(origins: readonly ColumnOrigin[], lineage: Lineage): ColumnPlan[] {
    const snap = this.o.catalog.current;
    const lookup = this.lookup(snap);
    const aligned = this.align(lineage, origins.length, snap);
    return origins.map((origin, i) => {
      const entities: string[] = [];
      let plain = true;
      if (origin.tableOid !== 0) this.originEntities(origin, snap, lookup, entities);
      const out = aligned?.[i];
      if (out) {
        if (out.kind === 'expr' && !out.plain) plain = false;
        // A whole row carries every classified column of its relation, not only the strongest.
        if (entitiesOf(out, lookup, entities)) plain = false;
      } else if (origin.tableOid === 0 && this.o.phi) {
        // Neither the catalog nor the parse tree can say where this value came from.
        entities.push(FALLBACK_ENTITY);
        plain = false;
      }
      if (entities.length === 0) return this.o.phi ? { kind: 'scan' } : { kind: 'pass' };
      return this.decide(entities, plain);
    });
  }

  /**
   * Free text through the detectors. Short values repeat (cities, codes, statuses), so their
   * results are remembered: a detector pass costs microseconds, a lookup nanoseconds.
   */
  scan(text: string): MaskedText {
    if (text.length > 64) return this.o.textMasker.mask(text);
    const hit = this.scans.get(text);
    if (hit) return hit;
    const out = this.o.textMasker.mask(text);
    if (this.scans.size >= 4096) this.scans.clear();
    this.scans.set(text, out);
    return out;
  }

  /**
   * `scan` of the UTF-8 value buf[start, end), encoded; undefined when it goes out unchanged.
   * Short values are remembered by their bytes, so a repeat is neither decoded nor re-encoded.
   */
  scanUtf8(buf: Buffer, start: number, end: number): ScannedBytes | undefined {
    const known = end - start <= BYTE_MEMO_MAX ? this.byteScans.get(buf, start, end) : undefined;
    if (known) return known.value;
    const text = buf.toString('utf8', start, end);
    const m = this.scan(text);
    const out = m.text === text ? undefined : { bytes: Buffer.from(m.text, 'utf8'), counts: m.counts };
    this.byteScans.set(buf, start, end, out);
    return out;
  }

  /** The masked text of a value (null: SQL NULL) under a `mask` plan. */
  mask(plan: Extract<ColumnPlan, { kind: 'mask' }>, value: string): string | null {
    return applyStrategy(plan.strategy, plan.entity, value, this.ctx);
  }

  /**
   * `mask` over a text value's UTF-8 bytes buf[start, end), the same output encoded: labels are
   * encoded once and the byte shapes of applyStrategyUtf8 skip the decode; the rest takes the
   * string path. The result may be shared: callers copy it, never write to it.
   */
  maskUtf8(
    plan: Extract<ColumnPlan, { kind: 'mask' }>,
    buf: Buffer,
    start: number,
    end: number,
  ): Buffer | null {
    switch (plan.strategy) {
      case 'raw':
        return buf.subarray(start, end);
      case 'null':
        return null;
      case 'redact':
        return this.label(plan.entity);
    }
    const fast = applyStrategyUtf8(plan.strategy, plan.entity, buf, start, end);
    if (fast !== undefined) return fast;
    const out = this.mask(plan, buf.toString('utf8', start, end));
    return out === null ? null : Buffer.from(out, 'utf8');
  }

  /** An entity's redaction label, encoded. */
  label(entity: string): Buffer {
    let b = this.labels.get(entity);
    if (!b) {
      b = Buffer.from(redactionLabel(entity), 'utf8');
      this.labels.set(entity, b);
    }
    return b;
  }

  private decide(entities: readonly string[], plain: boolean): ColumnPlan {
    const entity = mostSensitive(entities)!;
    let strategy = entities.map((e) => this.o.policy.strategyFor(e)).reduce(strictest);
    // A transformed value cannot be cut where `partial` and `year` expect: take the next stricter.
    if (!plain && (strategy === 'partial' || strategy === 'year')) strategy = 'redact';
    return { kind: 'mask', entity, strategy };
  }

  private originEntities(
    origin: ColumnOrigin,
    snap: CatalogSnapshot | undefined,
    lookup: ClassificationLookup & WholeRow,
    into: string[],
  ): void {
    const rel = snap?.relation(origin.tableOid);
    const column = rel?.byAttnum.get(origin.column);
    if (!rel || column === undefined || (rel.definition !== undefined && this.o.catalog.stale)) {
      // A relation created (or a view redefined) since the snapshot: nothing vouches for it.
      if (this.o.phi) into.push(FALLBACK_ENTITY);
      return;
    }
    entitiesOf(
      { kind: 'expr', sources: [{ relation: rel.name, column }], plain: true, opaque: false },
      lookup,
      into,
    );
  }

  /** Lineage outputs lined up with the result's columns (stars expanded); undefined when they do not line up. */
  private align(lineage: Lineage, width: number, snap: CatalogSnapshot | undefined): Output[] | undefined {
    if (lineage === 'unknown') return undefined;
    const out: Output[] = [];
    for (const o of lineage) {
      if (o.kind === 'expr') out.push(o);
      else if (o.kind === 'unknown-star') return undefined;
      else {
        const rel = snap?.relationNamed(o.relation);
        if (!rel) return undefined;
        for (const column of rel.columns) {
          out.push({ kind: 'expr', sources: [{ relation: rel.name, column }], plain: true, opaque: false });
        }
      }
    }
    return out.length === width ? out : undefined;
  }

  private lookup(snap: CatalogSnapshot | undefined): ClassificationLookup & WholeRow {
    const fallback = this.o.phi ? FALLBACK_ENTITY : undefined;
    const stale = this.o.catalog.stale;
    const allOf = (relation: string) => {
      const prefix = `${relation.toLowerCase()}.`;
      return [...this.classified].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
    };
    return {
      reads: this.relations,
      fallback,
      allOf,
      entityOf: (relation, column) => {
        const rel = relation.toLowerCase();
        if (VALUE_SAMPLES.test(rel)) return fallback;
        if (column === '*') return mostSensitive(allOf(rel));
        return this.classified.get(`${rel}.${column.toLowerCase()}`) ?? this.classified.get(`${rel}.*`);
      },
      viewColumns: (relation) => {
        const view = snap?.viewColumns(relation);
        if (view === undefined) return undefined;
        if (view === null || stale) return untraceable(snap!, relation, fallback);
        return view;
      },
    };
  }
}

/**
 * Every entity an output carries (each source on its own, so none hides behind a stronger one,
 * and the strictest strategy among them applies). True when it includes a whole-row reference.
 */
function entitiesOf(o: Output, lookup: ClassificationLookup & WholeRow, into: string[]): boolean {
  if (o.kind !== 'expr') {
    const e = entityOfOutput(o, lookup);
    if (e) into.push(e);
    return o.kind === 'star';
  }
  if (o.opaque && lookup.fallback) into.push(lookup.fallback);
  let whole = false;
  for (const s of o.sources) {
    if (s.column === '*') {
      whole = true;
      for (const rel of s.relation ? [s.relation] : lookup.reads) into.push(...lookup.allOf(rel));
    }
    const e = entityOfOutput({ kind: 'expr', sources: [s], plain: true, opaque: false }, lookup);
    if (e) into.push(e);
  }
  return whole;
}

interface WholeRow {
  /** Every entity classified in a relation (for whole-row references). */
  allOf(relation: string): string[];
}

/** A view whose definition cannot be traced: each of its columns is an opaque value. */
function untraceable(
  snap: CatalogSnapshot,
  relation: string,
  fallback: string | undefined,
): Map<string, Output> {
  const rel = snap.relationNamed(relation);
  const opaque: Output = { kind: 'expr', sources: [], plain: false, opaque: fallback !== undefined };
  return new Map((rel?.columns ?? []).map((c) => [c, opaque]));
}
