/**
 * What the maskers call the things they mask. Classified columns use the config's PHI entities
 * (SSN … NOTE, custom:x); detectors add the identifiers they recognise in free text.
 */

/**
 * An output computed from several inputs is masked as its most sensitive input. Ranked by how
 * directly the value identifies a person (direct identifiers first); unknown and custom entities
 * rank with SSN, because a name we do not know cannot be shown to be harmless.
 */
const RANK: Readonly<Record<string, number>> = {
  SSN: 100,
  MBI: 95,
  PASSPORT: 95,
  CARD: 90,
  MRN: 85,
  NOTE: 80,
  NAME: 70,
  ADDRESS: 65,
  DOB: 60,
  PHONE: 55,
  EMAIL: 55,
  NPI: 40,
  IP: 30,
};

export function sensitivity(entity: string): number {
  return RANK[entity] ?? 100;
}

/** The most sensitive of several entities, or undefined when there are none. */
export function mostSensitive(entities: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const e of entities) if (best === undefined || sensitivity(e) > sensitivity(best)) best = e;
  return best;
}

/** The label a redacted value shows: `[SSN]`, `[CUSTOM:LAB]`. */
export function redactionLabel(entity: string): string {
  return `[${entity.toUpperCase()}]`;
}
