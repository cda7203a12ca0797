/**
 * Fake identifiers with the shape of real ones, so masking detectors are exercised on values that
 * pass the same format checks a real SSN, NPI or card number would. Every range chosen here is one
 * that is reserved or documented as fictional where such a range exists.
 */
import type { Prng } from './prng';

/** 'MRN' + 8 digits; unique per patient id (the id is spread over the space by an odd multiplier). */
export function mrnFor(patientId: number): string {
  const spread = (patientId * 7_919_191 + 10_000_000) % 100_000_000;
  return `MRN${String(spread).padStart(8, '0')}`;
}

/**
 * AAA-GG-SSSS following SSA rules: area 001–899 except 666, group 01–99, serial 0001–9999.
 * (Random, so a value may coincide with a real person's; it is never derived from real data.)
 */
export function ssn(rng: Prng): string {
  let area = rng.int(1, 898);
  if (area === 666) area = 667;
  const group = rng.int(1, 99);
  const serial = rng.int(1, 9999);
  return `${pad(area, 3)}-${pad(group, 2)}-${pad(serial, 4)}`;
}

/** NANP numbers 555-0100..555-0199 are reserved for fiction in every area code. */
export function phone(rng: Prng, areaCode: string): string {
  return `${areaCode}-555-01${rng.digits(2)}`;
}

/** The Luhn check digit for `payload` (the digits before the check digit). */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    // Double every second digit counting from the right of the final number, i.e. from the payload's end.
    let d = payload.charCodeAt(payload.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export function isLuhnValid(digits: string): boolean {
  return /^\d+$/.test(digits) && luhnCheckDigit(digits.slice(0, -1)) === Number(digits.at(-1));
}

/**
 * A 10-digit NPI: 9 digits starting with 1 or 2 plus a Luhn check digit computed, as CMS specifies,
 * over the constant prefix 80840 followed by those 9 digits.
 */
export function npi(rng: Prng): string {
  const base = String(rng.int(1, 2)) + rng.digits(8);
  return base + luhnCheckDigit(`80840${base}`);
}

export const CARD_BRANDS = [
  // Issuer prefixes of the networks' published test numbers, so no real account is generated.
  { brand: 'visa', prefix: '411111', length: 16 },
  { brand: 'mastercard', prefix: '555555', length: 16 },
  { brand: 'amex', prefix: '378282', length: 15 },
  { brand: 'discover', prefix: '601111', length: 16 },
] as const;

export function cardNumber(rng: Prng): { brand: string; number: string } {
  const { brand, prefix, length } = rng.pick(CARD_BRANDS);
  const payload = prefix + rng.digits(length - prefix.length - 1);
  return { brand, number: payload + luhnCheckDigit(payload) };
}

export function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
