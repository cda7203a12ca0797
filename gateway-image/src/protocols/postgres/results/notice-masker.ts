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
import { BackendCode, decodeNotification, decodeResponseFields } from '../wire/backend-framer';
import { message as frame, notificationResponse } from '../wire/backend-writer';

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

  /**
   * The frame with its text masked (the same buffer when nothing changed). A frame that cannot be
   * read throws: relayed unread, it would carry whatever it echoes past the masker.
   */
  mask(raw: Buffer, counts: NoticeCounts): Buffer {
    return raw[0] === BackendCode.NotificationResponse
      ? this.notification(raw, counts)
      : this.fields(raw, counts);
  }

  private fields(raw: Buffer, counts: NoticeCounts): Buffer {
    let changed = false;
    const parts = decodeResponseFields(raw).map(({ tag, value, start, end }) => {
      const masked = TEXT_FIELDS.has(tag) ? this.maskText(value, counts) : value;
      if (masked === value) return raw.subarray(start, end);
      changed = true;
      return Buffer.from(`${tag}${masked.replaceAll('\0', '')}\0`, 'utf8');
    });
    if (!changed) return raw;
    return frame(raw[0]!, Buffer.concat([...parts, Buffer.from([0])]));
  }

  private notification(raw: Buffer, counts: NoticeCounts): Buffer {
    const { processId, channel, payload } = decodeNotification(raw);
    const masked = this.text.mask(payload);
    if (masked.text === payload) return raw;
    add(counts.detections, masked.counts);
    return notificationResponse(processId, channel, masked.text);
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
