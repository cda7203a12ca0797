/**
 * Masks the lines of a JSON file by member name, line by line, so that any reader that keeps
 * lines (head, grep, sort) can be masked, not only one that reads the whole document. A line is
 * read as what it can be: a whole value (one NDJSON record), or members of an object
 * (`"ssn": "…",`). A classified member's value is masked whole with its entity's strategy; other
 * strings go through the detectors. A line that is only structure (`],`, `"name": {`) goes
 * through the detectors; anything else (a bare value whose member is on another line, a string
 * running over lines) is masked whole, since its member cannot be known.
 */
import { UNALIGNED_ROW } from './delimited-rows';
import type { MaskingPolicy } from './profile';
import { applyStrategy } from './strategies';
import type { MaskedText, TextMasker } from './text-masker';
import type { TokenKeyring } from './token';

export interface JsonLineMaskerOptions {
  /** Member name (any case) → entity, wherever the member occurs. */
  readonly fields: Readonly<Record<string, string>>;
  readonly policy: MaskingPolicy;
  readonly text: TextMasker;
  readonly tokens?: TokenKeyring;
}

const STRUCTURE = /^(?:"(?:[^"\\]|\\.)*"\s*:\s*)?[[{]$|^[\]}]+$/;

export function createJsonLineMasker(o: JsonLineMaskerOptions): TextMasker {
  const fields = new Map(
    Object.entries(o.fields).map(([k, v]) => [k.replace(/^\$\.\./, '').toLowerCase(), v]),
  );
  const ctx = { tokens: o.tokens, maskText: (t: string) => o.text.mask(t).text };

  const maskValue = (v: unknown, entity: string | undefined, counts: Record<string, number>): unknown => {
    if (Array.isArray(v)) return v.map((x) => maskValue(x, entity, counts));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const key = o.text.mask(k);
        add(counts, key.counts);
        out[key.text] = maskValue(x, entity ?? fields.get(k.toLowerCase()), counts);
      }
      return out;
    }
    if (entity !== undefined && v !== null) {
      const strategy = o.policy.strategyFor(entity);
      add(counts, { [`${entity}:${strategy}`]: 1 });
      return applyStrategy(strategy, entity, String(v), ctx);
    }
    if (typeof v !== 'string') return v;
    const m = o.text.mask(v);
    add(counts, m.counts);
    return m.text;
  };

  const maskLine = (line: string, counts: Record<string, number>): string => {
    const indent = /^\s*/.exec(line)![0];
    const body = line.slice(indent.length).trimEnd();
    const comma = body.endsWith(',') ? ',' : '';
    const core = comma ? body.slice(0, -1).trimEnd() : body;
    if (core === '') return line;
    const whole = parse(core);
    if (whole.ok && whole.value !== null && typeof whole.value === 'object') {
      return `${indent}${JSON.stringify(maskValue(whole.value, undefined, counts))}${comma}`;
    }
    const members = parse(`{${core}}`);
    if (members.ok)
      return `${indent}${JSON.stringify(maskValue(members.value, undefined, counts)).slice(1, -1)}${comma}`;
    if (STRUCTURE.test(core)) {
      const m = o.text.mask(line);
      add(counts, m.counts);
      return m.text;
    }
    add(counts, { 'PHI:redact': 1 });
    return `${indent}${UNALIGNED_ROW}`;
  };

  return {
    mask(text): MaskedText {
      const counts: Record<string, number> = {};
      const out = text
        .split('\n')
        .map((line) =>
          line.endsWith('\r') ? `${maskLine(line.slice(0, -1), counts)}\r` : maskLine(line, counts),
        )
        .join('\n');
      return { text: out, counts };
    },
  };
}

function parse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function add(counts: Record<string, number>, more: Readonly<Record<string, number>>): void {
  for (const [k, n] of Object.entries(more)) counts[k] = (counts[k] ?? 0) + n;
}
