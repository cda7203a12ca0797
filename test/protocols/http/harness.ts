/**
 * The HTTP gateway in front of a real HTTPS FHIR upstream, with the real policy engine and small
 * in-test hooks for identity, access, audit and masking (the real ones are wired by the lead).
 * Tokens: alice-token → agent alice (granted); mallory-token → no grant; anything else refused.
 * Policy: DELETE denied (no-deletes); /Patient/held/** requires approval; everything else allowed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type HttpConnectionConfig, httpConnection } from '../../../gateway-image/src/config/connections';
import { AuthenticationError } from '../../../gateway-image/src/errors';
import type { Principal } from '../../../gateway-image/src/identity/principal';
import type { HttpFacts } from '../../../gateway-image/src/inspect/facts';
import type { Decision } from '../../../gateway-image/src/policy/decision';
import { createPolicyEngine } from '../../../gateway-image/src/policy/engine';
import type { ApprovalRequest } from '../../../gateway-image/src/protocols/gate';
import type {
  HttpAuditInput,
  HttpExchangeRecord,
  HttpGatewayHooks,
  HttpMasker,
} from '../../../gateway-image/src/protocols/http/hooks';
import { type HttpListener, startHttpListener } from '../../../gateway-image/src/protocols/http/listener';
import { generateSelfSigned } from '../../../gateway-image/src/tls/self-signed';
import { type FhirUpstream, startFhirUpstream } from './fhir-upstream';

const run = promisify(execFile);
export const UPSTREAM_TOKEN = 'upstream-secret-token';

/** A stand-in for the masking engineer's TextMasker: SSN, MRN and phone by regular expression. */
export const regexMasker: HttpMasker = {
  mask(text) {
    const counts: Record<string, number> = {};
    const sub = (re: RegExp, entity: string) => (s: string) =>
      s.replace(re, () => {
        counts[entity] = (counts[entity] ?? 0) + 1;
        return `[${entity}]`;
      });
    let out = sub(/\b\d{3}-\d{2}-\d{4}\b/g, 'SSN')(text);
    out = sub(/\bMRN\d{8}\b/g, 'MRN')(out);
    out = sub(/\b\d{3}-\d{3}-\d{4}\b/g, 'PHONE')(out);
    return { text: out, counts };
  },
};

export function principal(subject: string): Principal {
  const expiresAt = new Date(Date.now() + 3_600_000);
  return {
    subject,
    kind: 'agent',
    groups: ['agents'],
    issuer: 'https://issuer.test',
    expiresAt,
    via: 'oidc',
  };
}

export interface HttpHarness {
  readonly upstream: FhirUpstream;
  readonly listener: HttpListener;
  readonly port: number;
  readonly caFile: string;
  readonly audit: HttpAuditInput[];
  readonly records: HttpExchangeRecord[];
  /** Every request awaitApproval received. */
  readonly held: ApprovalRequest<HttpFacts>[];
  readonly logs: { message: string; err?: unknown }[];
  readonly secrets: Map<string, string>;
  /** Set to make awaitApproval answer; absent hook when undefined. */
  approve: ((d: Decision) => Decision) | undefined;
  auditDown: boolean;
  curl(path: string, args?: readonly string[], token?: string | null): Promise<CurlResult>;
  close(): Promise<void>;
}

export interface CurlResult {
  readonly status: number;
  readonly body: string;
  readonly headers: string;
  readonly exitCode: number;
}

export async function startHttpHarness(
  extra: { connections?: unknown[]; withApprovalHook?: boolean; upstreamTimeoutMs?: number } = {},
): Promise<HttpHarness> {
  const gatewayCert = await generateSelfSigned({
    commonName: 'warden-test',
    altNames: ['DNS:localhost', 'DNS:fhir.local', 'IP:127.0.0.1'],
  });
  const upstreamCert = await generateSelfSigned({ commonName: 'upstream', altNames: ['DNS:localhost'] });
  const upstream = await startFhirUpstream(
    { cert: upstreamCert.certificate, key: upstreamCert.key },
    UPSTREAM_TOKEN,
  );
  const dir = mkdtempSync(join(tmpdir(), 'warden-http-'));
  const caFile = join(dir, 'gateway-ca.pem');
  writeFileSync(caFile, gatewayCert.certificate);
  const secrets = new Map([
    ['env:EHR_TOKEN', UPSTREAM_TOKEN],
    ['env:EHR_CA', upstreamCert.certificate],
  ]);
  const connections: HttpConnectionConfig[] = [
    {
      name: 'ehr',
      kind: 'http',
      upstream: {
        url: `https://localhost:${upstream.port}/fhir`,
        tls: { mode: 'verify-full', ca: 'env:EHR_CA' },
        credential: { type: 'bearer', token: 'env:EHR_TOKEN' },
      },
      phiFields: { '$.entry[*].resource.name': 'NAME', '$..birthDate': 'DOB', '$..telecom': 'PHONE' },
      binaryContentTypes: ['application/pdf'],
    },
    {
      name: 'nocafhir',
      kind: 'http',
      upstream: {
        url: `https://localhost:${upstream.port}/fhir`,
        credential: { type: 'bearer', token: 'env:EHR_TOKEN' },
      },
    },
    {
      name: 'byhost',
      kind: 'http',
      route: { host: 'fhir.local' },
      upstream: {
        url: `https://localhost:${upstream.port}/fhir`,
        tls: { ca: 'env:EHR_CA' },
        credential: { type: 'bearer', token: 'env:EHR_TOKEN' },
      },
    },
    ...(extra.connections ?? []),
  ].map((c) => httpConnection.parse(c));
  const engine = createPolicyEngine(
    {
      default: 'allow',
      rules: [
        {
          name: 'no-deletes',
          decision: 'deny',
          reason: 'deletes are not allowed',
          principals: {},
          http: { methods: ['DELETE'] },
        },
        {
          name: 'approve-held',
          decision: 'require-approval',
          principals: {},
          http: { paths: ['/Patient/held/**'] },
        },
      ],
    },
    { connections },
  );
  const audit: HttpAuditInput[] = [];
  const records: HttpExchangeRecord[] = [];
  const held: ApprovalRequest<HttpFacts>[] = [];
  const logs: { message: string; err?: unknown }[] = [];
  const h = { approve: undefined, auditDown: false } as Pick<HttpHarness, 'approve' | 'auditDown'>;
  const hooks: HttpGatewayHooks = {
    async authenticate(token) {
      if (token === 'alice-token') return principal('alice');
      if (token === 'mallory-token') return principal('mallory');
      throw new AuthenticationError('ERR_TOKEN_INVALID', 'the token is not valid');
    },
    authorize: (p) =>
      p.subject === 'alice' ? { allowed: true } : { allowed: false, reason: `${p.subject} has no grant` },
    async resolveSecret(ref) {
      const v = secrets.get(ref);
      if (v === undefined) throw new Error(`no secret ${ref}`);
      return v;
    },
    decide: (p, c, f) => engine.decide(p, c, f),
    ...(extra.withApprovalHook
      ? {
          awaitApproval: async (r: ApprovalRequest<HttpFacts>) => {
            held.push(r);
            return h.approve ? h.approve(r.decision) : r.decision;
          },
        }
      : {}),
    async audit(input) {
      if (h.auditDown) throw new Error('audit down');
      audit.push(input);
    },
    masker: () => regexMasker,
    record: (r) => void records.push(r),
    log: (e) => void logs.push(e),
  };
  const listener = await startHttpListener({
    host: '127.0.0.1',
    port: 0,
    tls: { cert: gatewayCert.certificate, key: gatewayCert.key },
    connections,
    hooks,
    credentialCacheMs: 0,
    ...(extra.upstreamTimeoutMs === undefined ? {} : { upstreamTimeoutMs: extra.upstreamTimeoutMs }),
  });
  const port = listener.address.port;
  return Object.assign(h, {
    upstream,
    listener,
    port,
    caFile,
    audit,
    records,
    held,
    logs,
    secrets,
    async curl(path: string, args: readonly string[] = [], token: string | null = 'alice-token') {
      const argv = ['-sS', '--cacert', caFile, '-D', '-', '--max-time', '20', ...args];
      if (token !== null) argv.push('-H', `Authorization: Bearer ${token}`);
      argv.push(path.startsWith('https://') ? path : `https://localhost:${port}${path}`);
      try {
        const { stdout } = await run('curl', argv, { maxBuffer: 64 * 1024 * 1024 });
        return parseCurl(stdout, 0);
      } catch (err) {
        const e = err as { stdout?: string; code?: number };
        return parseCurl(e.stdout ?? '', e.code ?? -1);
      }
    },
    async close() {
      await listener.close();
      await upstream.close();
    },
  }) as HttpHarness;
}

function parseCurl(stdout: string, exitCode: number): CurlResult {
  // With -D -, every response head (there is one: curl is not following redirects) comes first.
  const split = stdout.indexOf('\r\n\r\n');
  const headers = split < 0 ? stdout : stdout.slice(0, split);
  const body = split < 0 ? '' : stdout.slice(split + 4);
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(headers)?.[1] ?? 0);
  return { status, body, headers: headers.toLowerCase(), exitCode };
}
