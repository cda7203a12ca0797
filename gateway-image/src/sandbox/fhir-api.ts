/**
 * The `warden dev` FHIR-like API: plain HTTP on loopback, serving Patient and Encounter resources
 * of the synthetic hospital with their PHI (names, birth dates, SSN and MRN identifiers, phone,
 * email, address, clinical notes). Every request needs `Authorization: Bearer <token>`, a random
 * token only the gateway holds as the connection's upstream credential, so the API is reachable
 * only through Warden.
 *
 * Routes (a small subset of FHIR R4 search, enough to exercise masking):
 *   GET /Patient?_count=N[&_offset=M]   searchset Bundle, N at most 1000 (default 10)
 *   GET /Patient/<id>                   one Patient
 *   GET /Encounter?patient=<id>         searchset Bundle of that patient's encounters
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EncounterRow, generateHospital, type PatientRow } from './hospital';

export interface SandboxFhirApiOptions {
  /** @default 1000 */
  readonly patients?: number;
  /** @default 1 (the same patients as the sandbox database) */
  readonly seed?: number;
  /** @default a random 32-byte token */
  readonly token?: string;
}

export interface SandboxFhirApi {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Base URL, e.g. http://127.0.0.1:41234 (a connection's upstream.url). */
  readonly url: string;
  /** The bearer token the API accepts: the gateway's upstream credential. */
  readonly token: string;
  close(): Promise<void>;
}

const MAX_COUNT = 1000;
const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export async function startSandboxFhirApi(opts: SandboxFhirApiOptions = {}): Promise<SandboxFhirApi> {
  const hospital = generateHospital({ patients: opts.patients ?? 1000, seed: opts.seed ?? 1 });
  const patients = new Map(hospital.patients.map((p) => [String(p.id), p]));
  const encounters = new Map<string, EncounterRow[]>();
  for (const e of hospital.encounters) {
    const list = encounters.get(String(e.patientId)) ?? [];
    list.push(e);
    encounters.set(String(e.patientId), list);
  }
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const expected = Buffer.from(`Bearer ${token}`);

  const server = createServer((req, res) => {
    const auth = Buffer.from(req.headers.authorization ?? '');
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) {
      return outcome(res, 401, 'login', 'a bearer token is required');
    }
    if (req.method !== 'GET') return outcome(res, 405, 'not-supported', 'this API is read-only');
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const path = url.pathname.replace(/\/+$/, '');
    const q = url.searchParams;
    if (path === '/Patient') {
      const count = intParam(q.get('_count'), 10);
      const offset = intParam(q.get('_offset'), 0);
      if (count === undefined || offset === undefined || count > MAX_COUNT) {
        return outcome(
          res,
          400,
          'invalid',
          `_count and _offset must be integers, _count at most ${MAX_COUNT}`,
        );
      }
      const page = hospital.patients.slice(offset, offset + count);
      return json(res, 200, bundle(page.map(patientResource), hospital.patients.length));
    }
    const one = /^\/Patient\/([^/]+)$/.exec(path);
    if (one) {
      const p = patients.get(one[1]!);
      return p ? json(res, 200, patientResource(p)) : outcome(res, 404, 'not-found', 'no such patient');
    }
    if (path === '/Encounter') {
      const list = encounters.get(q.get('patient')?.replace(/^Patient\//, '') ?? '') ?? [];
      return json(res, 200, bundle(list.map(encounterResource), list.length));
    }
    outcome(res, 404, 'not-found', 'unknown resource');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    url: `http://127.0.0.1:${port}`,
    token,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function intParam(value: string | null, fallback: number): number | undefined {
  if (value === null) return fallback;
  return /^\d{1,6}$/.test(value) ? Number(value) : undefined;
}

function patientResource(p: PatientRow): object {
  return {
    resourceType: 'Patient',
    id: String(p.id),
    identifier: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
        system: 'urn:warden:sandbox:mrn',
        value: p.mrn,
      },
      { system: 'http://hl7.org/fhir/sid/us-ssn', value: p.ssn },
    ],
    name: [{ use: 'official', family: p.lastName, given: [p.firstName] }],
    gender: p.sex === 'F' ? 'female' : p.sex === 'M' ? 'male' : 'other',
    birthDate: p.dateOfBirth,
    telecom: [
      { system: 'phone', value: p.phone, use: 'home' },
      { system: 'email', value: p.email },
    ],
    address: [{ line: [p.street], city: p.city, state: p.state, postalCode: p.zip, country: 'US' }],
  };
}

function encounterResource(e: EncounterRow): object {
  return {
    resourceType: 'Encounter',
    id: String(e.id),
    status: e.dischargedAt ? 'finished' : 'in-progress',
    subject: { reference: `Patient/${e.patientId}` },
    period: { start: e.admittedAt, ...(e.dischargedAt ? { end: e.dischargedAt } : {}) },
    serviceType: { text: e.department },
    reasonCode: e.diagnosisCodes.map((code) => ({
      coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code }],
    })),
    // Clinicians' free text: identifiers appear inline, so only detectors can find them.
    text: {
      status: 'generated',
      div: `<div xmlns="http://www.w3.org/1999/xhtml">${escapeXml(e.note)}</div>`,
    },
  };
}

function bundle(resources: readonly object[], total: number): object {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total,
    entry: resources.map((resource) => ({
      fullUrl: `${(resource as { resourceType: string }).resourceType}/${(resource as { id: string }).id}`,
      resource,
      search: { mode: 'match' },
    })),
  };
}

function json(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': FHIR_JSON, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function outcome(res: ServerResponse, status: number, code: string, diagnostics: string): void {
  json(res, status, {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code, diagnostics }],
  });
}

function escapeXml(text: string): string {
  return text.replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'));
}
