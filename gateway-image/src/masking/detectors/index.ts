/**
 * The detector set built from `masking.detectors`, and the scan that turns every detector's
 * findings into one list of non-overlapping spans.
 */
import { addressDetector, cityStateZipDetector, dobDetector, emailDetector, phoneDetector } from './contact';
import {
  cardDetector,
  ipDetector,
  ipv6Detector,
  labelledMrn,
  mbiDetector,
  mrnDetectors,
  npiDetector,
  passportDetector,
  ssnDetectors,
} from './identifiers';
import { nameDetector } from './names';
import { charClasses, type Detection, type Detector } from './types';

export type { Detection, Detector } from './types';

export interface DetectorOptions {
  /** Regular expressions (source text) for MRNs. @default ['\\bMRN\\d{8}\\b'] */
  readonly mrnPatterns?: readonly string[];
}

export const DEFAULT_MRN_PATTERNS = ['\\bMRN\\d{8}\\b'];

/** Every shipped detector, MRNs from the configured patterns. Throws on an invalid pattern. */
export function createDetectors(options: DetectorOptions = {}): readonly Detector[] {
  return [
    ...ssnDetectors,
    ...mrnDetectors(options.mrnPatterns ?? DEFAULT_MRN_PATTERNS),
    labelledMrn,
    cardDetector,
    npiDetector,
    mbiDetector,
    passportDetector,
    emailDetector,
    phoneDetector,
    ipDetector,
    ipv6Detector,
    dobDetector,
    addressDetector,
    cityStateZipDetector,
    nameDetector,
  ];
}

/**
 * All detections in `text`, sorted, without overlaps: where two spans overlap the longer wins
 * (an address swallows the ZIP, a card number the digits an NPI pattern saw), so no fragment of
 * an identifier is left unmasked between two replacements.
 */
export function scan(text: string, detectors: readonly Detector[]): Detection[] {
  const all: Detection[] = [];
  const has = charClasses(text);
  for (const d of detectors) {
    const needs = d.needs ?? 0;
    if ((has & needs) !== needs) continue;
    for (const hit of d.find(text)) all.push(hit);
  }
  if (all.length <= 1) return all;
  all.sort((a, b) => a.start - b.start || b.end - b.start - (a.end - a.start));
  const out: Detection[] = [];
  for (const d of all) {
    const last = out[out.length - 1];
    if (!last || d.start >= last.end) {
      out.push(d);
    } else if (d.end > last.end) {
      // Overlap: merge into one span under the longer detection's entity.
      const longer = d.end - d.start > last.end - last.start ? d.entity : last.entity;
      out[out.length - 1] = { entity: longer, start: last.start, end: d.end };
    }
  }
  return out;
}
