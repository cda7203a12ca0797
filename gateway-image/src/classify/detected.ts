/**
 * What the gateway's own detectors find in a column's sampled values: the share of values in
 * which each entity is detected. The values are scanned in memory and dropped; only counts leave.
 */
import { createDetectors, scan } from '../masking/detectors';

/** Detector entities as classification entities (detectors name some that the config writes `custom:`). */
const AS_CLASSIFICATION: Readonly<Record<string, string>> = {
  CARD: 'custom:CARD',
  MBI: 'custom:HEALTH_PLAN',
  PASSPORT: 'custom:PASSPORT',
  IP: 'custom:IP',
  NPI: 'custom:NPI',
};

/** Least share of non-empty sampled values that must hold an entity for it to count. */
export const MIN_SHARE = 0.2;
/** Fewer hits than this are chance (a number that happens to pass Luhn). */
export const MIN_HITS = 3;
/** Longer values are free text: several kinds of identifier inside make the column NOTE. */
const FREE_TEXT_CHARS = 60;

export interface Detected {
  readonly entity: string;
  readonly hits: number;
  readonly sampled: number;
}

export function createColumnDetector(mrnPatterns?: readonly string[]) {
  const detectors = createDetectors(mrnPatterns ? { mrnPatterns } : {});
  return (values: readonly (string | null)[]): Detected | undefined => {
    const present = values.filter((v): v is string => v !== null && v !== '');
    if (present.length === 0) return undefined;
    const hits = new Map<string, number>();
    let long = 0;
    for (const v of present) {
      if (v.length > FREE_TEXT_CHARS) long++;
      for (const entity of new Set(scan(v, detectors).map((d) => d.entity)))
        hits.set(entity, (hits.get(entity) ?? 0) + 1);
    }
    const [entity, n] = [...hits].sort((a, b) => b[1] - a[1])[0] ?? [];
    if (!entity || !n || n < MIN_HITS || n / present.length < MIN_SHARE) return undefined;
    const freeText = long / present.length > 0.5;
    return {
      entity: freeText ? 'NOTE' : (AS_CLASSIFICATION[entity] ?? entity),
      hits: n,
      sampled: present.length,
    };
  };
}
