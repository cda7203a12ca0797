/**
 * Column names that say what a column holds, for the HIPAA Safe Harbor identifiers
 * (45 CFR § 164.514(b)(2)(i)): names; geographic subdivisions smaller than a state (street, city,
 * county, ZIP); every date directly related to an individual except the year (birth, admission,
 * discharge, death); phone and fax numbers; e-mail addresses; SSNs; medical record, health plan,
 * account, certificate and licence numbers; vehicle and device identifiers; URLs and IP addresses;
 * biometric identifiers and photographs. The state itself is not an identifier.
 */

export interface NameHint {
  /** The classification entity the column should have. */
  readonly entity: string;
  /** Which identifier, for the reader. */
  readonly why: string;
}

/** Record bookkeeping, not a date about the person. */
const BOOKKEEPING =
  /^(created|updated|modified|inserted|deleted|synced|loaded|last_seen)_?(at|on|date|time)?$/;

/** First match wins: the more specific names (email_address, ip_address) come before address. */
const RULES: readonly [RegExp, NameHint][] = [
  [/(^|_)(ssn|social_security(_number)?)$/, { entity: 'SSN', why: 'social security number' }],
  [/(^|_)(mrn|medical_record(_number|_no)?)$/, { entity: 'MRN', why: 'medical record number' }],
  [/(^|_)(dob|date_of_birth|birth_?date|birthday|born_on)$/, { entity: 'DOB', why: 'date of birth' }],
  [/(^|_)(zip|zip_?code|postal_?code|postcode)$/, { entity: 'ADDRESS', why: 'ZIP code' }],
  [/(^|_)(phone|telephone|mobile|cell|fax)(_number|_no)?$/, { entity: 'PHONE', why: 'phone or fax number' }],
  [/(^|_)e_?mail(_address)?$/, { entity: 'EMAIL', why: 'e-mail address' }],
  [
    /(^|_)(first|last|middle|full|given|family|maiden)_?name$|^(surname|name)$/,
    { entity: 'NAME', why: 'name' },
  ],
  [
    /(^|_)(admitted|admission|discharged|discharge|deceased|death)_?(at|on|date|time)$|^(dod|date_of_death)$/,
    { entity: 'custom:DATE', why: 'date related to the individual' },
  ],
  [
    /(^|_)(card|account|acct)_?(number|no|num)$|^(iban|account)$/,
    { entity: 'custom:ACCOUNT', why: 'account number' },
  ],
  [
    /(^|_)(member|beneficiary|insurance|policy|plan|subscriber)_?(id|number|no)$/,
    { entity: 'custom:HEALTH_PLAN', why: 'health plan beneficiary number' },
  ],
  [
    /(^|_)(license|licence|certificate)_?(number|no|id)?$/,
    { entity: 'custom:LICENSE', why: 'certificate or licence number' },
  ],
  [/(^|_)(vin|license_plate|plate_number)$/, { entity: 'custom:VEHICLE', why: 'vehicle identifier' }],
  [
    /(^|_)(device_(id|serial)|serial_number|imei|udi)$/,
    { entity: 'custom:DEVICE', why: 'device identifier' },
  ],
  [/(^|_)(url|website|homepage)$/, { entity: 'custom:URL', why: 'web address' }],
  [/(^|_)(ip|ip_address|ipv4|ipv6)$/, { entity: 'custom:IP', why: 'IP address' }],
  [
    /(^|_)(street|address(_line)?\d*|addr\d*|city|town|county|municipality)$/,
    { entity: 'ADDRESS', why: 'geographic subdivision smaller than a state' },
  ],
  [
    /(^|_)(photo|picture|face_image|fingerprint|biometric|voiceprint)$/,
    { entity: 'custom:BIOMETRIC', why: 'photograph or biometric' },
  ],
  [
    /(^|_)(note|notes|narrative|comment|comments|free_text)$/,
    { entity: 'NOTE', why: 'free text about the individual' },
  ],
];

/** The identifier a column's name and type point to, if any. */
export function hintFromName(column: string, dataType: string): NameHint | undefined {
  const name = column.toLowerCase();
  for (const [re, hint] of RULES) if (re.test(name)) return hint;
  // Any other date in a table about individuals is a date about them, unless it is bookkeeping.
  if (/^(date|timestamp)/.test(dataType) && !BOOKKEEPING.test(name))
    return { entity: 'custom:DATE', why: 'date related to the individual' };
  return undefined;
}
