/**
 * The protocol-free contract every data path uses to mask free text (SSH output, HTTP bodies,
 * Postgres values nobody classified). Implementations are built from the config's masking
 * section for one principal; adapters receive one and never see detectors or strategies.
 */
import { createDetectors, type Detector, scan } from './detectors';
import { Memo } from './memo';
import type { MaskingPolicy } from './profile';
import { applyStrategy } from './strategies';
import type { TokenKeyring } from './token';

export interface MaskedText {
  readonly text: string;
  /** What was masked, per entity and strategy: counts only, never values (for the `mask` audit event). */
  readonly counts: Readonly<Record<string, number>>;
}

export interface TextMasker {
  /**
   * Masks every detected identifier in `text`. Pure and synchronous; safe on any input. The
   * result may be shared with other calls on the same text: read it, never change it.
   */
  mask(text: string): MaskedText;
}

export interface TextMaskerOptions {
  readonly policy: MaskingPolicy;
  /** @default createDetectors() (every shipped detector, default MRN pattern) */
  readonly detectors?: readonly Detector[];
  /** For the token strategy; without it tokens fall back to redaction. */
  readonly tokens?: TokenKeyring;
}

/**
 * Masks every detected identifier with the strategy the policy gives its entity. `null` removes
 * the identifier; `raw` leaves it but still counts it, so the audit shows raw disclosure.
 */
export function createTextMasker(options: TextMaskerOptions): TextMasker {
  const detectors = options.detectors ?? createDetectors();
  const { policy, tokens } = options;
  const ctx = { tokens };
  // Short values repeat (JSON members like "male" or "final", codes, cities): their results are
  // remembered. Longer text (notes, output lines) rarely repeats and would crowd the memo.
  const memo = new Memo<MaskedText>(MEMO_ENTRIES);
  const maskText = (text: string): MaskedText => {
    const hits = text.length === 0 ? [] : scan(text, detectors);
    if (hits.length === 0) return { text, counts: NO_COUNTS };
    const counts: Record<string, number> = {};
    let out = '';
    let at = 0;
    for (const h of hits) {
      const strategy = policy.strategyFor(h.entity);
      const key = `${h.entity}:${strategy}`;
      counts[key] = (counts[key] ?? 0) + 1;
      out +=
        text.slice(at, h.start) + (applyStrategy(strategy, h.entity, text.slice(h.start, h.end), ctx) ?? '');
      at = h.end;
    }
    return { text: out + text.slice(at), counts };
  };
  return {
    mask(text) {
      if (text.length > MEMO_MAX_CHARS) return maskText(text);
      let m = memo.get(text);
      if (m === undefined) {
        m = maskText(text);
        memo.set(text, m);
      }
      return m;
    },
  };
}

const MEMO_MAX_CHARS = 64;
const MEMO_ENTRIES = 4096;
const NO_COUNTS: Readonly<Record<string, number>> = Object.freeze({});
