/**
 * HTTP data path benchmark: requests per second and p99 latency for a FHIR search returning 20
 * Patients (~13 KB of JSON with PHI), straight to the sandbox FHIR API and through Warden (the real
 * gateway services: OIDC verification, access, policy, audit log, recording, streamed JSON
 * masking), with ratios from one run. A third row goes through Warden to a connection without PHI,
 * so masking's share of the cost can be told apart from the rest of the path.
 *
 * autocannon runs in a worker thread; the upstream and the gateway share the main thread, as one
 * gateway process per core would. The direct leg is plain HTTP, the Warden legs HTTPS (the
 * gateway only listens with TLS), so the ratios include TLS termination.
 * Run: `npx tsx test/bench/http-bench.ts` (npm run bench:http). BENCH_HTTP_SECONDS sets the duration.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { validateConfig } from '../../gateway-image/src/config/load';
import { startHttp } from '../../gateway-image/src/gateway/http-hooks';
import { createGatewayServices } from '../../gateway-image/src/gateway/services';
import { createLogger } from '../../gateway-image/src/logging/logger';
import { startSandboxFhirApi } from '../../gateway-image/src/sandbox/fhir-api';
import { startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { writeGatewayFiles } from '../support/gateway-stack';

const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 10);
const QUERY = '/Patient?_count=20';
const AUDIENCE = 'urn:warden:http-bench';

interface Figures {
  readonly rps: number;
  readonly p99: number;
  readonly errors: number;
}

async function load(url: string, token: string): Promise<Figures> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    workers: 1,
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-http-bench-'));
  const closers: (() => Promise<void>)[] = [];
  try {
    const [fhir, issuer] = await Promise.all([
      startSandboxFhirApi({ patients: 1000 }),
      startLocalIssuer({
        audience: AUDIENCE,
        agents: [{ clientId: 'bench', clientSecret: 'bench-secret', groups: ['agents'] }],
        accessTokenTtlSec: 3600,
      }),
    ]);
    closers.push(
      () => fhir.close(),
      () => issuer.close(),
    );
    const keys = await writeGatewayFiles(dir, {
      commonName: 'warden-bench',
      altNames: ['IP:127.0.0.1'],
      extra: { 'fhir.token': fhir.token, 'token.key': randomBytes(32).toString('base64') },
    });
    const f = keys.ref;
    const upstream = { url: fhir.url, credential: { type: 'bearer', token: f('fhir.token') } };
    const config = validateConfig({
      version: 1,
      listeners: {
        http: { host: '127.0.0.1', port: 0, tls: keys.tls },
      },
      identity: { issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }] },
      connections: [
        {
          name: 'fhir',
          kind: 'http',
          phi: true,
          upstream,
          phiFields: {
            '$..name': 'NAME',
            '$..birthDate': 'DOB',
            '$..telecom': 'PHONE',
            '$..address': 'ADDRESS',
          },
        },
        { name: 'fhir-plain', kind: 'http', phi: false, upstream },
      ],
      access: { grants: [{ name: 'bench', connections: ['fhir', 'fhir-plain'], principals: {} }] },
      policy: {
        default: 'deny',
        rules: [{ name: 'reads', decision: 'allow', principals: {}, http: { methods: ['GET'] } }],
      },
      masking: { tokenKey: f('token.key') },
      audit: { dir: join(dir, 'audit'), signingKey: f('audit.key') },
      recording: { dir: join(dir, 'recordings') },
    });
    const services = await createGatewayServices(config, {
      logger: createLogger({ WARDEN_LOG_LEVEL: 'error' }),
    });
    const gatewayClosers: (() => Promise<void>)[] = [() => services.close()];
    closers.unshift(async () => {
      for (const close of gatewayClosers) await close();
    });
    const http = (await startHttp(services, gatewayClosers))!;
    const token = await issuer.agentToken('bench');
    const gateway = `https://127.0.0.1:${http.port}`;

    const direct = await load(`${fhir.url}${QUERY}`, fhir.token);
    const masked = await load(`${gateway}/fhir${QUERY}`, token);
    const plain = await load(`${gateway}/fhir-plain${QUERY}`, token);

    console.log(`GET ${QUERY}, ${CONNECTIONS} connections, ${SECONDS} s per run`);
    console.log(['path', 'req/s', 'p99 ms', 'errors', 'req/s ratio', 'p99 ratio'].join('\t'));
    for (const [name, r] of [
      ['direct', direct],
      ['warden (JSON masking)', masked],
      ['warden (no PHI, no masking)', plain],
    ] as const) {
      const cells = [r.rps.toFixed(0), String(r.p99), String(r.errors)];
      const ratios = [(r.rps / direct.rps).toFixed(2), (r.p99 / direct.p99).toFixed(2)];
      console.log([name, ...cells, ...ratios].join('\t'));
    }
    if (masked.errors + plain.errors + direct.errors > 0) process.exitCode = 1;
  } finally {
    for (const close of closers) await close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
