/**
 * A deterministic synthetic hospital: patients, providers, encounters with free-text notes that
 * mention identifiers, and a small billing table. Pure (no I/O): the same options give the same rows,
 * so tests can pin values and the masking work has realistic PHI to find. Loading is in seed.ts.
 */
import {
  DEPARTMENTS,
  DIAGNOSES,
  EMAIL_DOMAINS,
  FIRST_NAMES,
  LAST_NAMES,
  NOTE_PLANS,
  PLACES,
  SPECIALTY_BY_DEPARTMENT,
  STREET_NAMES,
} from './hospital-data';
import { cardNumber, mrnFor, npi, pad, phone, ssn } from './identifiers';
import { Prng } from './prng';

export interface HospitalOptions {
  /** Number of patients. */
  readonly patients: number;
  /** PRNG seed; the same seed yields the same hospital. */
  readonly seed: number;
  /** Providers on staff. @default max(20, patients / 50) */
  readonly providers?: number;
  /** One billing row per this many patients. @default 10 */
  readonly patientsPerBillingRow?: number;
}

export interface PatientRow {
  id: number;
  mrn: string;
  firstName: string;
  lastName: string;
  /** YYYY-MM-DD */
  dateOfBirth: string;
  sex: 'F' | 'M' | 'X';
  ssn: string;
  phone: string;
  email: string;
  street: string;
  city: string;
  state: string;
  zip: string;
}

export interface ProviderRow {
  id: number;
  npi: string;
  firstName: string;
  lastName: string;
  specialty: string;
  department: string;
}

export interface EncounterRow {
  id: number;
  patientId: number;
  providerId: number;
  /** ISO 8601, UTC */
  admittedAt: string;
  /** ISO 8601, UTC; null while still admitted. */
  dischargedAt: string | null;
  department: string;
  diagnosisCodes: string[];
  note: string;
}

export interface BillingRow {
  id: number;
  patientId: number;
  cardBrand: string;
  cardNumber: string;
  /** MM/YY */
  cardExpiry: string;
  amountCents: number;
}

export interface Hospital {
  patients: PatientRow[];
  providers: ProviderRow[];
  encounters: EncounterRow[];
  billing: BillingRow[];
}

const DAY_MS = 86_400_000;
const DOB_FROM = Date.UTC(1930, 0, 1);
const DOB_TO = Date.UTC(2023, 11, 31);
const ADMIT_FROM = Date.UTC(2019, 0, 1);
const ADMIT_TO = Date.UTC(2025, 11, 31);

export function generateHospital(options: HospitalOptions): Hospital {
  const patientCount = options.patients;
  if (!Number.isInteger(patientCount) || patientCount < 1) {
    throw new RangeError(`patients must be a positive integer, got ${patientCount}`);
  }
  const providerCount = options.providers ?? Math.max(20, Math.floor(patientCount / 50));
  const billingEvery = options.patientsPerBillingRow ?? 10;
  // One stream per table: changing how encounters are drawn does not reshuffle the patients.
  const streams = [0, 1, 2, 3].map((i) => new Prng((options.seed * 4 + i) | 0));
  const providers = Array.from({ length: providerCount }, (_, i) => provider(streams[0]!, i + 1));
  const patients = Array.from({ length: patientCount }, (_, i) => patient(streams[1]!, i + 1));
  const encounters: EncounterRow[] = [];
  for (const p of patients) {
    // 1–5 encounters, three on average.
    const visits = streams[2]!.int(1, 5);
    for (let v = 0; v < visits; v++) {
      encounters.push(encounter(streams[2]!, encounters.length + 1, p, streams[2]!.pick(providers)));
    }
  }
  const billing: BillingRow[] = [];
  for (let id = billingEvery; id <= patientCount; id += billingEvery) {
    billing.push(billingRow(streams[3]!, billing.length + 1, id));
  }
  return { patients, providers, encounters, billing };
}

function patient(rng: Prng, id: number): PatientRow {
  const firstName = rng.pick(FIRST_NAMES);
  const lastName = rng.pick(LAST_NAMES);
  const place = rng.pick(PLACES);
  const local = `${ascii(firstName)}.${ascii(lastName)}${rng.chance(0.5) ? rng.int(1, 99) : ''}`;
  return {
    id,
    mrn: mrnFor(id),
    firstName,
    lastName,
    dateOfBirth: isoDate(DOB_FROM + rng.int(0, (DOB_TO - DOB_FROM) / DAY_MS) * DAY_MS),
    sex: rng.chance(0.02) ? 'X' : rng.chance(0.5) ? 'F' : 'M',
    ssn: ssn(rng),
    phone: phone(rng, place.areaCode),
    email: `${local}@${rng.pick(EMAIL_DOMAINS)}`,
    street: `${rng.int(1, 9899)} ${rng.pick(STREET_NAMES)}`,
    city: place.city,
    state: place.state,
    zip: place.zip + rng.digits(2),
  };
}

function provider(rng: Prng, id: number): ProviderRow {
  const department = rng.pick(DEPARTMENTS);
  return {
    id,
    npi: npi(rng),
    firstName: rng.pick(FIRST_NAMES),
    lastName: rng.pick(LAST_NAMES),
    specialty: SPECIALTY_BY_DEPARTMENT[department],
    department,
  };
}

function encounter(rng: Prng, id: number, p: PatientRow, doctor: ProviderRow): EncounterRow {
  const admitted = ADMIT_FROM + Math.floor((rng.next() * (ADMIT_TO - ADMIT_FROM)) / 60_000) * 60_000;
  const stillAdmitted = rng.chance(0.03);
  const stayMinutes = rng.int(120, 14 * 24 * 60);
  const diagnoses = Array.from({ length: rng.int(1, 3) }, () => rng.pick(DIAGNOSES));
  const codes = [...new Set(diagnoses.map((d) => d.code))];
  return {
    id,
    patientId: p.id,
    providerId: doctor.id,
    admittedAt: new Date(admitted).toISOString(),
    dischargedAt: stillAdmitted ? null : new Date(admitted + stayMinutes * 60_000).toISOString(),
    department: doctor.department,
    diagnosisCodes: codes,
    note: note(rng, p, doctor, diagnoses[0]!.text),
  };
}

/**
 * Free text the way clinicians write it: identifiers appear inline, in several formats, in a
 * fraction of notes, so a masking detector has to find them rather than rely on column names.
 */
function note(rng: Prng, p: PatientRow, doctor: ProviderRow, problem: string): string {
  const ids: string[] = [];
  if (rng.chance(0.6)) ids.push(rng.chance(0.8) ? p.mrn : `MRN: ${p.mrn.slice(3)}`);
  if (rng.chance(0.5)) ids.push(`DOB ${rng.chance(0.7) ? p.dateOfBirth : usDate(p.dateOfBirth)}`);
  const who = rng.chance(0.8) ? `${p.firstName} ${p.lastName}` : `${p.lastName}, ${p.firstName}`;
  const parts = [
    `${rng.pick(['Patient', 'Pt', 'Patient'])} ${who}${ids.length > 0 ? ` (${ids.join(', ')})` : ''} ` +
      `seen in ${doctor.department.toLowerCase()} for ${problem}.`,
  ];
  if (rng.chance(0.3)) {
    parts.push(rng.chance(0.5) ? `Called from ${p.phone} about symptoms.` : `Callback number ${p.phone}.`);
  }
  if (rng.chance(0.2)) parts.push(`Prefers results by email at ${p.email}.`);
  if (rng.chance(0.1)) {
    const value = rng.chance(0.8) ? p.ssn : p.ssn.replaceAll('-', '');
    parts.push(`Insurance verification by SSN ${value}.`);
  }
  if (rng.chance(0.1)) parts.push(`Lives at ${p.street}, ${p.city}, ${p.state} ${p.zip}.`);
  parts.push(rng.pick(NOTE_PLANS), `-- Dr. ${doctor.lastName}`);
  return parts.join(' ');
}

function billingRow(rng: Prng, id: number, patientId: number): BillingRow {
  const card = cardNumber(rng);
  return {
    id,
    patientId,
    cardBrand: card.brand,
    cardNumber: card.number,
    cardExpiry: `${pad(rng.int(1, 12), 2)}/${rng.int(26, 31)}`,
    amountCents: rng.int(2_000, 2_500_000),
  };
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function usDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${m}/${d}/${y}`;
}

/** Email local parts are ASCII: drop accents and anything that is not a letter. */
function ascii(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}
