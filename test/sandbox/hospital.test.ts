import { createHash } from 'node:crypto';
import { generateHospital } from '../../gateway-image/src/sandbox/hospital';
import { isLuhnValid, luhnCheckDigit, mrnFor } from '../../gateway-image/src/sandbox/identifiers';
import { Prng } from '../../gateway-image/src/sandbox/prng';

// SSA rules: area 001–899 except 666, group 01–99, serial 0001–9999.
const VALID_SSN = /^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$/;

const sha256 = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

describe('generateHospital', () => {
  const hospital = generateHospital({ patients: 10_000, seed: 1 });

  it('generates 10,000 patients with about three encounters each', () => {
    expect(hospital.patients).toHaveLength(10_000);
    expect(hospital.encounters.length).toBeGreaterThan(27_000);
    expect(hospital.encounters.length).toBeLessThan(33_000);
    expect(hospital.providers.length).toBe(200);
    expect(hospital.billing.length).toBe(1_000);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const again = generateHospital({ patients: 10_000, seed: 1 });
    expect(sha256(again)).toBe(sha256(hospital));
    expect(sha256(generateHospital({ patients: 100, seed: 2 }).patients)).not.toBe(
      sha256(hospital.patients.slice(0, 100)),
    );
    // Pinned so that an accidental change to the generator (which would silently change every
    // fixture built on seed 1) fails here first.
    expect(sha256(hospital.patients.slice(0, 100))).toBe(PINNED_FIRST_100_PATIENTS);
  });

  it('gives every patient a valid-format SSN, a unique MRN and fictional contact details', () => {
    // One assertion over all rows: 50,000 expect() calls would dominate the run time.
    const bad = hospital.patients.filter(
      (p) =>
        !VALID_SSN.test(p.ssn) ||
        !/^MRN\d{8}$/.test(p.mrn) ||
        !/^\d{3}-555-01\d\d$/.test(p.phone) ||
        !/^[a-z]+\.[a-z]+\d*@example\.(com|org|net)$/.test(p.email) ||
        !/^\d{5}$/.test(p.zip),
    );
    expect(bad).toEqual([]);
    expect(new Set(hospital.patients.map((p) => p.mrn)).size).toBe(10_000);
  });

  it('writes notes that mention the patient’s own identifiers in several formats', () => {
    const byId = new Map(hospital.patients.map((p) => [p.id, p]));
    const seen = { mrn: 0, dob: 0, phone: 0, email: 0, ssn: 0, ssnNoDashes: 0, usDob: 0 };
    for (const e of hospital.encounters) {
      const p = byId.get(e.patientId)!;
      if (!e.note.includes(p.lastName)) throw new Error(`note ${e.id} does not name its patient`);
      if (e.note.includes(p.mrn) || e.note.includes(`MRN: ${p.mrn.slice(3)}`)) seen.mrn++;
      if (e.note.includes(p.dateOfBirth)) seen.dob++;
      if (/DOB \d\d\/\d\d\/\d{4}/.test(e.note)) seen.usDob++;
      if (e.note.includes(p.phone)) seen.phone++;
      if (e.note.includes(p.email)) seen.email++;
      if (e.note.includes(p.ssn)) seen.ssn++;
      if (e.note.includes(p.ssn.replaceAll('-', ''))) seen.ssnNoDashes++;
    }
    for (const count of Object.values(seen)) expect(count).toBeGreaterThan(100);
    // Identifiers appear in a fraction of notes, not all: a detector must find them.
    expect(seen.ssn).toBeLessThan(hospital.encounters.length / 5);
  });

  it('uses Luhn-valid card numbers from test ranges and valid NPIs', () => {
    const badCards = hospital.billing.filter(
      (b) => !isLuhnValid(b.cardNumber) || !/^(411111|555555|378282|601111)/.test(b.cardNumber),
    );
    expect(badCards).toEqual([]);
    const badNpis = hospital.providers.filter(
      (d) => !/^[12]\d{9}$/.test(d.npi) || luhnCheckDigit(`80840${d.npi.slice(0, 9)}`) !== Number(d.npi[9]),
    );
    expect(badNpis).toEqual([]);
  });

  it('keeps encounter times consistent', () => {
    const bad = hospital.encounters.filter(
      (e) => (e.dischargedAt !== null && e.dischargedAt <= e.admittedAt) || e.diagnosisCodes.length === 0,
    );
    expect(bad).toEqual([]);
  });

  it('rejects a non-positive patient count', () => {
    expect(() => generateHospital({ patients: 0, seed: 1 })).toThrow(RangeError);
  });
});

describe('identifiers', () => {
  it('computes the Luhn digit of known numbers', () => {
    expect(isLuhnValid('4111111111111111')).toBe(true);
    expect(isLuhnValid('4111111111111112')).toBe(false);
    // CMS's worked example: NPI 123456789 has check digit 3.
    expect(luhnCheckDigit('80840123456789')).toBe(3);
  });

  it('gives distinct MRNs to distinct patient ids', () => {
    const mrns = new Set(Array.from({ length: 100_000 }, (_, i) => mrnFor(i + 1)));
    expect(mrns.size).toBe(100_000);
  });

  it('seeds the PRNG reproducibly', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const draws = Array.from({ length: 5 }, () => a.next());
    expect(draws).toEqual(Array.from({ length: 5 }, () => b.next()));
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

const PINNED_FIRST_100_PATIENTS = 'd5dbec9095f4e62501dcd9514e6e82137aac1730b0815d18c847cb58bc6b5ab0';
