/**
 * Errors, notices and notifications from the upstream can echo row data: a unique violation's
 * DETAIL `Key (ssn)=(…)`, a check violation's `Failing row contains (…)`, a cast error's
 * `invalid input syntax for type integer: "…"`, RAISE NOTICE with values, pg_notify payloads.
 * Values PostgreSQL quotes in those shapes are replaced whole; everything else in the text goes
 * through the detectors.
 * https://www.postgresql.org/docs/current/protocol-error-fields.html
 */
import { redactionLabel } from '../../../masking/entities';
import type { TextMasker } from '../../../masking/text-masker';
import { BackendCode } from '../wire/backend-framer';
import { message as frame } from '../wire/backend-writer';

/** Fields that carry text a statement produced: message, detail, hint, context, internal query. */
const TEXT_FIELDS = new Set(['M', 'D', 'H', 'W', 'q']);

export interface NoticeCounts {
  /** Values replaced because of where PostgreSQL put them. */
  echoes: number;
  /** Detector hits, `ENTITY:strategy` → count. */
  readonly detections: Record<string, number>;
}

export class NoticeMasker {
  private readonly label: string;

  /** `echoes`: whether quoted values are replaced (false when the principal sees raw PHI). */
  constructor(
    private readonly text: TextMasker,
    private readonly echoes: boolean,
    entity: string,
  ) {
    this.label = redactionLabel(entity);
  }

  /** The frame with its text masked (the same buffer when nothing changed). */
  mask(raw: Buffer, counts: NoticeCounts): Buffer {
    return raw[0] === BackendCode.NotificationResponse
      ? this.notification(raw, counts)
      : this.fields(raw, counts);
  }

  private fields(raw: Buffer, counts: NoticeCounts): Buffer {
    const parts: Buffer[] = [];
    let changed = false;
    let at = 5;
    while (at < raw.length && raw[at] !== 0) {
      const end = raw.indexOf(0, at + 1);
      if (end < 0) break;
      const tag = String.fromCharCode(raw[at]!);
      if (TEXT_FIELDS.has(tag)) {
        const value = raw.toString('utf8', at + 1, end);
        const masked = this.maskText(value, counts);
        if (masked !== value) {
          changed = true;
          parts.push(Buffer.from(`${tag}${masked.replaceAll('\0', '')}\0`, 'utf8'));
          at = end + 1;
          continue;
        }
      }
      parts.push(raw.subarray(at, end + 1));
      at = end + 1;
    }
    if (!changed) return raw;
    return frame(raw[0]!, Buffer.concat([...parts, Buffer.from([0])]));
  }

  private notification(raw: Buffer, counts: NoticeCounts): Buffer {
    const channelEnd = raw.indexOf(0, 9);
    const payloadEnd = raw.indexOf(0, channelEnd + 1);
    if (channelEnd < 0 || payloadEnd < 0) return raw;
    const payload = raw.toString('utf8', channelEnd + 1, payloadEnd);
    const masked = this.text.mask(payload);
    if (masked.text === payload) return raw;
    add(counts.detections, masked.counts);
    const body = Buffer.concat([
      raw.subarray(5, channelEnd + 1),
      Buffer.from(`${masked.text.replaceAll('\0', '')}\0`, 'utf8'),
    ]);
    return frame(raw[0]!, body);
  }

  maskText(value: string, counts: NoticeCounts): string {
    let out = value;
    if (this.echoes) {
      const label = this.label;
      const replace = (_m: string, head: string, tail = '') => {
        counts.echoes++;
        return `${head}${label}${tail}`;
      };
      out = out
        // errdetail "Key (%s)=(%s) already exists." and its foreign-key / exclusion siblings.
        .replace(/(Key \([^=]*\)=\()[\s\S]*(\)[^)]*)$/, replace)
        // errdetail "Failing row contains %s." (check, not-null, partition constraints).
        .replace(/(Failing row contains \()[\s\S]*(\)[^)]*)$/, replace)
        // errmsg "…: \"%s\"" (invalid input syntax, out of range, malformed literal) and `value "%s"`.
        .replace(/(: ")(?:[^"]|"")*(")/g, replace)
        .replace(/(\bvalue ")(?:[^"]|"")*(")/g, replace);
    }
    const masked = this.text.mask(out);
    add(counts.detections, masked.counts);
    return masked.text;
  }
}

function add(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}
