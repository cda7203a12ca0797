/**
 * Masks the lines of a delimited text file (CSV, TSV) by column, as the Postgres column masker
 * masks a classified column: the file's header row names the columns, the connection's file
 * classification maps names to entities, and the principal's masking profile picks the strategy.
 * Unclassified columns go through the detectors.
 *
 * A line whose field count differs from the header's (a line some reader added, a fragment, a
 * quoted field running over lines) is masked whole: which value sits in which column is not
 * known, so none is shown.
 */
import { redactionLabel } from './entities';
import type { MaskingPolicy } from './profile';
import { applyStrategy } from './strategies';
import type { MaskedText, TextMasker } from './text-masker';
import type { TokenKeyring } from './token';

/** What a line that cannot be lined up with the header becomes. */
export const UNALIGNED_ROW = redactionLabel('PHI');

export interface DelimitedRowMaskerOptions {
  readonly delimiter: ',' | '\t';
  /** The header row as read from the file (a line equal to it passes unchanged). */
  readonly headerLine: string;
  /** Column name (any case) → entity. */
  readonly columns: Readonly<Record<string, string>>;
  readonly policy: MaskingPolicy;
  /** Detectors for unclassified columns. */
  readonly text: TextMasker;
  readonly tokens?: TokenKeyring;
}

/** Splits one line into fields (RFC 4180 quoting); undefined when its quotes do not close. */
export function splitFields(
  line: string,
  delimiter: string,
): { value: string; quoted: boolean }[] | undefined {
  const fields: { value: string; quoted: boolean }[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) return undefined;
        value += line.slice(j, q);
        if (line[q + 1] === '"') {
          value += '"';
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      if (j < line.length && line[j] !== delimiter) return undefined;
      fields.push({ value, quoted: true });
      if (j >= line.length) return fields;
      i = j + 1;
    } else {
      const d = line.indexOf(delimiter, i);
      fields.push({ value: line.slice(i, d < 0 ? undefined : d), quoted: false });
      if (d < 0) return fields;
      i = d + 1;
    }
  }
}

/** The header's column names, or undefined when it is not a well-formed row. */
export function parseHeader(line: string, delimiter: ',' | '\t'): string[] | undefined {
  const fields = splitFields(line, delimiter);
  return fields && fields.length > 0 ? fields.map((f) => f.value.trim()) : undefined;
}

export function createDelimitedRowMasker(o: DelimitedRowMaskerOptions): TextMasker {
  const header = parseHeader(o.headerLine, o.delimiter) ?? [];
  const byName = new Map(Object.entries(o.columns).map(([k, v]) => [k.toLowerCase(), v]));
  const entities = header.map((name) => byName.get(name.toLowerCase()));
  const ctx = { tokens: o.tokens, maskText: (t: string) => o.text.mask(t).text };
  const quote = (value: string, quoted: boolean) =>
    quoted || value.includes(o.delimiter) || value.includes('"') ? `"${value.replaceAll('"', '""')}"` : value;

  const maskRow = (line: string, counts: Record<string, number>): string => {
    if (line === '' || line === o.headerLine) return line;
    const fields = splitFields(line, o.delimiter);
    if (!fields || fields.length !== header.length) {
      counts['PHI:redact'] = (counts['PHI:redact'] ?? 0) + 1;
      return UNALIGNED_ROW;
    }
    return fields
      .map((f, i) => {
        const entity = entities[i];
        if (entity === undefined) {
          const m = o.text.mask(f.value);
          for (const [k, n] of Object.entries(m.counts)) counts[k] = (counts[k] ?? 0) + n;
          return quote(m.text, f.quoted);
        }
        if (f.value === '') return '';
        const strategy = o.policy.strategyFor(entity);
        const key = `${entity}:${strategy}`;
        counts[key] = (counts[key] ?? 0) + 1;
        return quote(applyStrategy(strategy, entity, f.value, ctx) ?? '', f.quoted);
      })
      .join(o.delimiter);
  };

  return {
    mask(text): MaskedText {
      const counts: Record<string, number> = {};
      const out = text
        .split('\n')
        .map((line) =>
          line.endsWith('\r') ? `${maskRow(line.slice(0, -1), counts)}\r` : maskRow(line, counts),
        )
        .join('\n');
      return { text: out, counts };
    },
  };
}
