/**
 * Masked FHIR stays FHIR: the HL7 R4 example Patient, alone and in a searchset Bundle, through
 * the real gateway (services from a config, a real OIDC issuer) with curl and Node's fetch as
 * clients. Field rules on name, telecom, address, identifier and birthDate change the identifying
 * values only: the result has the same members with the same JSON types, keeps every code member
 * (use, system, type, period, rank, an extension's url) as it was, and validates against the
 * official FHIR R4 JSON Schema (fhir.schema.json) like the original.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import FhirSchemaValidator from '@asymmetrik/fhir-json-schema-validator';
import { validateConfig } from '../../gateway-image/src/config/load';
import type { ListenerAddress } from '../../gateway-image/src/gateway/listeners';
import { startHttp } from '../../gateway-image/src/gateway/listeners';
import { createGatewayServices, type GatewayServices } from '../../gateway-image/src/gateway/services';
import { createLogger } from '../../gateway-image/src/logging/logger';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { writeGatewayFiles } from '../support/gateway-stack';
import { nodeFetch } from '../support/node-fetch';

const run = promisify(execFile);
const AUDIENCE = 'urn:warden:fhir-structure-test';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const patient = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'fhir-r4', 'patient-example.json'), 'utf8'),
) as Obj;

/** A second patient of the same shape with other values, so a Bundle holds two. */
const second: Obj = {
  resourceType: 'Patient',
  id: 'pat2',
  identifier: [
    {
      use: 'usual',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
      system: 'urn:oid:0.1.2.3.4.5.6.7',
      value: '654321',
    },
  ],
  active: true,
  name: [{ use: 'official', family: 'Donald', given: ['Duck'] }],
  telecom: [{ system: 'email', value: 'donald.duck@example.org', use: 'work', rank: 1 }],
  gender: 'male',
  birthDate: '1934-06-09',
  managingOrganization: { reference: 'Organization/1', display: 'ACME Healthcare, Inc' },
};

function bundleOf(resources: Obj[]): Obj {
  return {
    resourceType: 'Bundle',
    id: 'search-1',
    type: 'searchset',
    total: resources.length,
    link: [{ relation: 'self', url: 'https://fhir.example.org/Patient?_count=2' }],
    entry: resources.map((r) => ({
      fullUrl: `https://fhir.example.org/Patient/${r.id as string}`,
      resource: r,
      search: { mode: 'match' },
    })),
  };
}

/** The document's shape: every member name and every value's JSON type, values left out. */
function shapeOf(v: Json): Json {
  if (Array.isArray(v)) return v.map(shapeOf);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shapeOf(x)]));
  return v === null ? 'null' : typeof v;
}

/** Values found at `key` anywhere in the document, with their paths. */
function valuesAt(doc: Json, key: string, path = '$'): [string, Json][] {
  if (Array.isArray(doc)) return doc.flatMap((x, i) => valuesAt(x, key, `${path}[${i}]`));
  if (doc === null || typeof doc !== 'object') return [];
  return Object.entries(doc).flatMap(([k, x]) => [
    ...(k === key ? ([[`${path}.${k}`, x]] as [string, Json][]) : []),
    ...valuesAt(x, key, `${path}.${k}`),
  ]);
}

/** What the `$..address..period` rule makes of an address period: its dates cut to the year. */
function yearOfAddressPeriod([path, value]: [string, Json]): [string, Json] {
  if (!/\.address(\[\d+\])?\.period$/.test(path) || value === null || typeof value !== 'object')
    return [path, value];
  const years = Object.entries(value).map(([k, v]) => [k, String(v).slice(0, 4)]);
  return [path, Object.fromEntries(years)];
}

/** Every string and number of the original that identifies the patients. */
const IDENTIFYING = [
  'Chalmers',
  'Windsor',
  'Peter',
  'Jim',
  'Marché',
  'Bénédicte',
  '5555 6473',
  '3410 5613',
  '998327',
  'peter.chalmers@example.org',
  'Erewhon',
  'PleasantVille',
  'Rainbow',
  '3999',
  '12345',
  '478-21-9350',
  '1974-12-25',
  'Acme Healthcare',
  'Donald',
  'Duck',
  'donald.duck@example.org',
  '654321',
  '1934-06-09',
];

describe('FHIR R4 resources masked through the gateway', () => {
  let dir: string;
  let issuer: LocalIssuer;
  let upstream: Server;
  let services: GatewayServices;
  let http: ListenerAddress;
  let caFile: string;
  let token: string;
  let fhirSchema: FhirSchemaValidator;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-fhir-'));
    issuer = await startLocalIssuer({
      audience: AUDIENCE,
      agents: [{ clientId: 'fhir-bot', clientSecret: 'fhir-bot-secret', groups: ['agents'] }],
    });
    upstream = createServer((req, res) => {
      const body = req.url?.startsWith('/Patient/example') ? patient : bundleOf([patient, second]);
      res.writeHead(200, { 'content-type': 'application/fhir+json; charset=utf-8' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const keys = await writeGatewayFiles(dir, {
      commonName: 'warden-test',
      altNames: ['IP:127.0.0.1', 'DNS:localhost'],
      extra: { 'fhir.token': 'unused', 'token.key': randomBytes(32).toString('base64') },
    });
    caFile = join(dir, 'tls.crt');
    const f = keys.ref;
    const config = validateConfig({
      version: 1,
      listeners: { http: { host: '127.0.0.1', port: 0, tls: keys.tls } },
      identity: { issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }] },
      connections: [
        {
          name: 'fhir',
          kind: 'http',
          phi: true,
          upstream: {
            url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
            credential: { type: 'bearer', token: f('fhir.token') },
          },
          phiFields: {
            '$..name': 'NAME',
            '$..telecom': 'PHONE',
            '$..address': 'ADDRESS',
            '$..identifier': 'MRN',
            '$..birthDate': 'DOB',
            '$.._birthDate': 'DOB',
            // A period is a code member, kept as it is; an address held since birth would still
            // date the patient, so address periods get a rule of their own (DOB by year).
            '$..address..period': 'DOB',
          },
        },
      ],
      access: { grants: [{ name: 'agents', connections: ['fhir'], principals: { groups: ['agents'] } }] },
      policy: {
        default: 'deny',
        rules: [{ name: 'reads', decision: 'allow', principals: {}, http: { methods: ['GET'] } }],
      },
      // The example policy's agent profile: DOB by year keeps birthDate a FHIR date.
      masking: {
        tokenKey: f('token.key'),
        profiles: [
          { name: 'agents', principals: { kinds: ['agent'] }, default: 'redact', entities: { DOB: 'year' } },
        ],
      },
      audit: { dir: join(dir, 'audit'), signingKey: f('audit.key') },
    });
    services = await createGatewayServices(config, { logger: createLogger({ WARDEN_LOG_LEVEL: 'silent' }) });
    closers.push(() => services.close());
    http = (await startHttp(services, closers))!;
    token = await issuer.agentToken('fhir-bot');
    fhirSchema = new FhirSchemaValidator();
  }, 60_000);

  afterAll(async () => {
    for (const close of closers) await close().catch(() => undefined);
    await new Promise((resolve) => upstream?.close(resolve));
    await issuer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function viaCurl(path: string): Promise<Obj> {
    const url = `https://localhost:${http.port}/fhir${path}`;
    const argv = ['-sS', '--fail', '--cacert', caFile, '-H', `Authorization: Bearer ${token}`, url];
    const { stdout } = await run('curl', argv, { maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout) as Obj;
  }

  async function viaFetch(path: string): Promise<Obj> {
    const r = await nodeFetch(`https://localhost:${http.port}/fhir${path}`, {
      caFile,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
    return JSON.parse(r.body) as Obj;
  }

  it('the originals are valid FHIR R4 (the schema check itself works)', () => {
    expect(fhirSchema.validate(patient)).toEqual([]);
    expect(fhirSchema.validate(bundleOf([patient, second]))).toEqual([]);
    // …and it refuses what masking used to produce: a name `use` that is no HumanName use.
    const broken = { ...patient, name: [{ use: '[NAME]', family: '[NAME]' }] };
    expect(fhirSchema.validate(broken)).not.toEqual([]);
  });

  describe.each([
    ['curl', viaCurl],
    ['Node fetch', viaFetch],
  ])('with %s', (_client, get) => {
    it('a Patient keeps its structure and code members; only identifying values change', async () => {
      const masked = await get('/Patient/example');
      expect(fhirSchema.validate(masked)).toEqual([]);
      expect(shapeOf(masked)).toEqual(shapeOf(patient));
      for (const key of ['use', 'system', 'type', 'period', 'rank', 'url']) {
        expect(valuesAt(masked, key)).toEqual(valuesAt(patient, key).map(yearOfAddressPeriod));
      }
      const m = masked as {
        name: Obj[];
        telecom: Obj[];
        address: Obj[];
        identifier: Obj[];
        contact: { name: Obj }[];
        _birthDate: { extension: Obj[] };
      };
      expect(m.name[0]).toEqual({ use: 'official', family: '[NAME]', given: ['[NAME]', '[NAME]'] });
      expect(m.name[2]).toEqual({
        use: 'maiden',
        family: '[NAME]',
        given: ['[NAME]', '[NAME]'],
        period: { end: '2002' },
      });
      expect(m.telecom[1]).toEqual({ system: 'phone', value: '[PHONE]', use: 'work', rank: 1 });
      expect(m.address[0]).toMatchObject({
        use: 'home',
        type: 'both',
        city: '[ADDRESS]',
        line: ['[ADDRESS]'],
      });
      // Everything beneath a classified value is classified with it (but for code members).
      expect(m.identifier[0]).toMatchObject({ use: 'usual', value: '[MRN]', assigner: { display: '[MRN]' } });
      expect(m.address[0]!.period).toEqual({ start: '1974' });
      expect(m.contact[0]!.name).toMatchObject({ family: '[NAME]', given: ['[NAME]'] });
      expect(m._birthDate.extension[0]).toEqual({
        url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime',
        valueDateTime: '1974',
      });
      // Everything that is not PHI is as it was.
      for (const key of [
        'resourceType',
        'id',
        'meta',
        'active',
        'gender',
        'deceasedBoolean',
        'maritalStatus',
      ]) {
        expect(masked[key]).toEqual(patient[key]);
      }
      expect(masked.birthDate).toBe('1974');
      const text = JSON.stringify(masked);
      for (const value of IDENTIFYING) expect(text).not.toContain(value);
    });

    it('a searchset Bundle of two Patients validates and keeps its shape', async () => {
      const original = bundleOf([patient, second]);
      const masked = await get('/Patient?_count=2');
      expect(fhirSchema.validate(masked)).toEqual([]);
      expect(shapeOf(masked)).toEqual(shapeOf(original));
      for (const key of ['use', 'system', 'type', 'period', 'rank', 'url', 'relation', 'fullUrl', 'mode']) {
        expect(valuesAt(masked, key)).toEqual(valuesAt(original, key).map(yearOfAddressPeriod));
      }
      const text = JSON.stringify(masked);
      for (const value of IDENTIFYING) expect(text).not.toContain(value);
    });
  });
});
