/**
 * OpenTelemetry traces of a real gateway (`warden gateway`, two worker processes) exported over
 * OTLP/HTTP to a real receiver on loopback: one span per Postgres login and statement, per HTTP
 * request and per Kubernetes request (the sandbox API server upstream), its stages as child spans, the caller's W3C traceparent followed on HTTP and
 * passed on to the upstream as the gateway's own upstream stage. No attribute carries SQL text,
 * PHI, a path or a token.
 */

import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  type SandboxKubernetesApi,
  startSandboxKubernetesApi,
} from '../../gateway-image/src/sandbox/kubernetes/server';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { until } from '../approvals/support';
import {
  postgresConnection,
  spawnGateway,
  writeGatewayConfig,
  writeGatewayFiles,
} from '../support/gateway-stack';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './otlp-receiver';

const AUDIENCE = 'urn:warden:tracing-test';
const SSN = '123-45-6789';
const OTLP_KEY = `otlp-${randomBytes(8).toString('hex')}`;
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

interface Ready {
  readonly postgres: { host: string; port: number };
  readonly http: { host: string; port: number };
  readonly kubernetes: { host: string; port: number };
}

describe('OpenTelemetry traces', () => {
  let dir: string;
  let db: TestDatabase;
  let issuer: LocalIssuer;
  let receiver: OtlpReceiver;
  let cluster: SandboxKubernetesApi;
  let upstream: Server;
  const upstreamSaw: IncomingHttpHeaders[] = [];
  let child: ChildProcessWithoutNullStreams;
  let gateway: Ready;
  let token: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-tracing-'));
    [db, issuer, receiver, cluster] = await Promise.all([
      createTestDatabase('tracing_app'),
      startLocalIssuer({
        audience: AUDIENCE,
        agents: [{ clientId: 'bot', clientSecret: 'bot-secret', groups: ['agents'] }],
      }),
      startOtlpReceiver(),
      startSandboxKubernetesApi({ patients: 5, seed: 1 }),
    ]);
    const setup = new Client(db.connection);
    await setup.connect();
    await setup.query(
      `CREATE TABLE people(id int primary key, ssn text); INSERT INTO people VALUES (1, '${SSN}');
       CREATE TABLE vault(id int)`,
    );
    await setup.end();
    upstream = createServer((req, res) => {
      upstreamSaw.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ resourceType: 'Patient', id: 'p1', name: [{ text: 'Jane Roe' }], note: SSN }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const keys = await writeGatewayFiles(dir, {
      commonName: 'warden-test',
      extra: {
        'otlp.key': OTLP_KEY,
        'fhir.token': 'upstream-credential',
        'k8s.ca': cluster.ca,
        'k8s.token': cluster.token,
      },
    });
    const f = keys.ref;
    const config = {
      version: 1,
      workers: 2,
      listeners: {
        postgres: { host: '127.0.0.1', port: 0, tls: keys.tls },
        http: { host: '127.0.0.1', port: 0, tls: keys.tls },
        kubernetes: { host: '127.0.0.1', port: 0, tls: keys.tls },
        admin: { host: '127.0.0.1', port: 0 },
      },
      identity: {
        issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }],
        sessionTokens: { signingKey: f('session.key') },
      },
      connections: [
        {
          ...postgresConnection('app', db, 'TRACING_TEST_PG_PASSWORD'),
          classification: { 'public.people.ssn': 'SSN' },
        },
        {
          name: 'fhir',
          kind: 'http',
          phi: true,
          upstream: { url: upstreamUrl, credential: { type: 'bearer', token: f('fhir.token') } },
          phiFields: { '$..name': 'NAME' },
        },
        {
          name: 'ehr-cluster',
          kind: 'kubernetes',
          phi: true,
          upstream: {
            url: cluster.url,
            tls: { ca: f('k8s.ca') },
            credential: { type: 'bearer', token: f('k8s.token') },
          },
        },
      ],
      access: {
        grants: [
          { name: 'agents', connections: ['app', 'fhir', 'ehr-cluster'], principals: { groups: ['agents'] } },
        ],
      },
      policy: {
        rules: [
          { name: 'deny-archive', decision: 'deny', sql: { reads: ['public.vault'] }, reason: 'off limits' },
          {
            name: 'deny-secrets',
            decision: 'deny',
            kubernetes: { resources: ['secrets'] },
            reason: 'no secrets',
          },
          { name: 'allow-rest', decision: 'allow' },
        ],
      },
      audit: { dir: join(dir, 'audit'), signingKey: f('audit.key') },
      observability: {
        tracing: { otlpEndpoint: receiver.url, headers: { 'x-api-key': f('otlp.key') } },
      },
    };
    const spawned = spawnGateway<Ready>(await writeGatewayConfig(dir, 'warden.json', config), {
      TRACING_TEST_PG_PASSWORD: db.connection.password,
    });
    child = spawned.child;
    gateway = await spawned.ready;
    token = await issuer.agentToken('bot');
  }, 60_000);

  afterAll(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await new Promise((resolve) => upstream?.close(resolve));
    await Promise.all([receiver?.close(), issuer?.close(), db?.drop(), cluster?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  const childrenOf = (parent: ReceivedSpan) =>
    receiver.spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId);
  const stagesOf = (parent: ReceivedSpan) => childrenOf(parent).map((s) => s.name);

  it('traces a Postgres login and each statement with its stages as child spans', async () => {
    const client = new Client({
      host: gateway.postgres.host,
      port: gateway.postgres.port,
      database: 'app',
      user: 'bot',
      password: token,
      ssl: { rejectUnauthorized: false },
    });
    await client.connect();
    const rows = await client.query('SELECT ssn FROM people WHERE id = 1');
    expect(rows.rows[0].ssn).not.toBe(SSN);
    await expect(client.query('SELECT * FROM vault')).rejects.toThrow(/deny-archive/);
    await client.end();

    const statements = await until(() => {
      const s = receiver.spans.filter((x) => x.name === 'postgres.statement');
      return s.length >= 2 ? s : undefined;
    }, 15_000);
    const login = receiver.spans.find((s) => s.name === 'postgres.login')!;
    expect(login.attributes).toEqual({ 'warden.connection': 'app', 'warden.decision': 'allow' });
    expect(stagesOf(login)).toEqual(['auth', 'policy', 'audit', 'upstream']);

    const allowed = statements.find((s) => s.attributes['warden.decision'] === 'allow')!;
    expect(allowed.attributes).toEqual({
      'warden.connection': 'app',
      'warden.decision': 'allow',
      'warden.rule': 'allow-rest',
    });
    expect(allowed.parentSpanId).toBeUndefined();
    expect(stagesOf(allowed)).toEqual(['inspect', 'policy', 'audit', 'upstream', 'masking']);
    const denied = statements.find((s) => s.attributes['warden.decision'] === 'deny')!;
    expect(denied.attributes['warden.rule']).toBe('deny-archive');
    // A denied statement never reaches the upstream.
    expect(stagesOf(denied)).toEqual(['inspect', 'policy', 'audit']);
    expect(new Set(receiver.spans.map((s) => s.serviceName))).toEqual(new Set(['warden-gateway']));
    // The exporter sends the configured headers (the secret resolved), as a collector's API key.
    expect(receiver.exports[0]!['x-api-key']).toBe(OTLP_KEY);
  }, 30_000);

  it("follows the caller's traceparent on HTTP and passes its own upstream stage on", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: gateway.http.port,
          path: `/fhir/Patient/${SSN}`,
          rejectUnauthorized: false,
          headers: {
            authorization: `Bearer ${token}`,
            traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    const request = await until(() => receiver.spans.find((s) => s.name === 'http.request'), 15_000);
    expect(request).toMatchObject({ traceId: CLIENT_TRACE, parentSpanId: CLIENT_SPAN });
    expect(request.attributes).toEqual({
      'http.request.method': 'GET',
      'warden.connection': 'fhir',
      'warden.decision': 'allow',
      'warden.rule': 'allow-rest',
      'http.response.status_code': 200,
    });
    expect(stagesOf(request)).toEqual([
      'auth',
      'inspect',
      'policy',
      'inspect',
      'policy',
      'audit',
      'upstream',
      'masking',
      'audit',
    ]);
    // The upstream's parent is the gateway's upstream stage, in the caller's trace.
    const upstreamStage = childrenOf(request).find((s) => s.name === 'upstream')!;
    expect(upstreamSaw.at(-1)!.traceparent).toBe(`00-${CLIENT_TRACE}-${upstreamStage.spanId}-01`);
  }, 30_000);

  it('traces a Kubernetes request with its stages, and a denied one stops at the audit', async () => {
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port: gateway.kubernetes.port,
            path: `/ehr-cluster${path}`,
            rejectUnauthorized: false,
            headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await get('/api/v1/namespaces/clinical/pods')).toBe(200);
    expect(await get('/api/v1/namespaces/clinical/secrets')).toBe(403);
    const spans = await until(() => {
      const s = receiver.spans.filter((x) => x.name === 'kubernetes.request');
      return s.length >= 2 ? s : undefined;
    }, 15_000);
    const allowed = spans.find((s) => s.attributes['warden.decision'] === 'allow')!;
    expect(allowed.attributes).toEqual({
      'http.request.method': 'GET',
      'warden.connection': 'ehr-cluster',
      'warden.decision': 'allow',
      'warden.rule': 'allow-rest',
      'http.response.status_code': 200,
    });
    expect(stagesOf(allowed)).toEqual(['auth', 'inspect', 'policy', 'audit', 'upstream', 'masking']);
    const denied = spans.find((s) => s.attributes['warden.decision'] === 'deny')!;
    expect(denied.attributes).toMatchObject({
      'warden.rule': 'deny-secrets',
      'http.response.status_code': 403,
    });
    expect(stagesOf(denied)).toEqual(['auth', 'inspect', 'policy', 'audit']);
  }, 30_000);

  it('puts no SQL text, PHI, path or token in any attribute', () => {
    const values = JSON.stringify(receiver.spans.map((s) => s.attributes));
    for (const forbidden of [
      SSN,
      'Jane',
      token,
      'upstream-credential',
      OTLP_KEY,
      '/Patient',
      'people',
      'vault',
      cluster.token,
      'clinical',
    ])
      expect(values).not.toContain(forbidden);
    expect(values).not.toMatch(/select|from/i);
    const keys = new Set(receiver.spans.flatMap((s) => Object.keys(s.attributes)));
    expect([...keys].sort()).toEqual([
      'http.request.method',
      'http.response.status_code',
      'warden.connection',
      'warden.decision',
      'warden.rule',
    ]);
  });
});
