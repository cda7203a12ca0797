/**
 * Operating a gateway as operators run it: `warden gateway` with two worker processes, as a
 * non-root user (as the image runs), a real OIDC issuer, real PostgreSQL upstream and approvals
 * store, node-postgres clients. A scripted mix of sessions, statements, a denial, a syntax error,
 * masked rows, an approved hold and a refused login; `/metrics` (scraped with its token, the
 * workers' figures added up by the primary) must count exactly what was run and carry no SQL,
 * token, subject or PHI. `/readyz` turns not-ready when the audit directory is read-only.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { until } from '../approvals/support';
import {
  postgresConnection,
  spawnGateway,
  writeGatewayConfig,
  writeGatewayFiles,
} from '../support/gateway-stack';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { parseOpenMetrics, sample } from './openmetrics';

const AUDIENCE = 'urn:warden:operations-test';
const NOBODY = { uid: 65534, gid: 65534 };
const METRICS_TOKEN = 'metrics-scrape-token-9f2c';
const SSNS = ['123-45-6789', '987-65-4321'];

interface Ready {
  readonly admin: string;
  readonly postgres: { host: string; port: number };
}

describe('metrics and readiness of a two-worker gateway', () => {
  let dir: string;
  let upstream: TestDatabase;
  let store: TestDatabase;
  let issuer: LocalIssuer;
  let child: ChildProcessWithoutNullStreams;
  let ready: Ready;
  let auditDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-operations-'));
    [upstream, store, issuer] = await Promise.all([
      createTestDatabase('operations_app'),
      createTestDatabase('operations_store'),
      startLocalIssuer({
        audience: AUDIENCE,
        agents: [{ clientId: 'bot', clientSecret: 'bot-secret', groups: ['agents'] }],
        users: [{ id: 'rita', groups: ['dba'] }],
      }),
    ]);
    const setup = new Client(upstream.connection);
    await setup.connect();
    await setup.query(
      `CREATE TABLE people(id int primary key, ssn text);
       INSERT INTO people VALUES (1, '${SSNS[0]}'), (2, '${SSNS[1]}');
       CREATE TABLE secrets(id int); CREATE TABLE items(id int); INSERT INTO items VALUES (1), (2)`,
    );
    await setup.end();
    const keys = await writeGatewayFiles(dir, {
      commonName: 'warden-test',
      extra: { 'metrics.token': METRICS_TOKEN },
    });
    const f = keys.ref;
    auditDir = join(dir, 'audit');
    const config = {
      version: 1,
      workers: 2,
      listeners: {
        postgres: { host: '127.0.0.1', port: 0, tls: keys.tls },
        admin: { host: '127.0.0.1', port: 0 },
      },
      identity: {
        issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }],
        sessionTokens: { signingKey: f('session.key') },
      },
      connections: [
        {
          ...postgresConnection('app', upstream, 'OPS_TEST_PG_PASSWORD'),
          classification: { 'public.people.ssn': 'SSN' },
        },
      ],
      access: { grants: [{ name: 'agents', connections: ['app'], principals: { groups: ['agents'] } }] },
      policy: {
        rules: [
          { name: 'no-secrets', decision: 'deny', sql: { reads: ['public.secrets'] }, reason: 'off limits' },
          {
            name: 'approve-deletes',
            decision: 'require-approval',
            sql: { kinds: ['delete'] },
            reason: 'check',
          },
          { name: 'allow-rest', decision: 'allow' },
        ],
      },
      approvals: {
        rules: [{ policyRules: ['approve-deletes'], approverGroups: ['dba'] }],
        store: { kind: 'postgres', url: 'env:OPS_TEST_STORE_URL' },
      },
      audit: { dir: auditDir, signingKey: f('audit.key') },
      observability: {
        // Loopback is not allowed here, so the test scrapes as a remote scraper would: with the token.
        metrics: {
          allowFrom: ['192.0.2.0/24'],
          bearerToken: f('metrics.token'),
          workerReportIntervalMs: 200,
        },
      },
    };
    await writeGatewayConfig(dir, 'warden.json', config);
    // The gateway runs as nobody: its directory and files must be its own.
    for (const name of [...(await readdir(dir)), '.']) await chown(join(dir, name), NOBODY.uid, NOBODY.gid);
    const gateway = spawnGateway<Ready>(
      join(dir, 'warden.json'),
      { OPS_TEST_PG_PASSWORD: upstream.connection.password, OPS_TEST_STORE_URL: store.url },
      'gateway',
      NOBODY,
    );
    child = gateway.child;
    ready = await gateway.ready;
  }, 90_000);

  afterAll(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await issuer?.close();
    await Promise.all([upstream?.drop(), store?.drop()]);
    await rm(dir, { recursive: true, force: true });
  });

  const connect = async (password: string) => {
    const client = new Client({
      host: ready.postgres.host,
      port: ready.postgres.port,
      database: 'app',
      user: 'bot',
      password,
      ssl: { rejectUnauthorized: false },
    });
    await client.connect();
    return client;
  };
  const scrape = async () => {
    const res = await fetch(`${ready.admin}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/openmetrics-text');
    return res.text();
  };

  it('counts a scripted session mix exactly, across both workers', async () => {
    const token = await issuer.agentToken('bot');
    const clients = await Promise.all([connect(token), connect(token), connect(token)]);
    const run: string[] = [];
    let roundTrips = 0;
    const query = async (c: Client, sql: string, params?: unknown[]) => {
      run.push(sql);
      roundTrips++;
      return c.query(sql, params);
    };
    for (const c of clients) {
      for (let i = 0; i < 4; i++) await query(c, 'SELECT 1 AS one');
      await query(c, 'SELECT id FROM items WHERE id = $1', [1]); // Parse/Bind/Execute/Sync
      await expect(query(c, 'SELECT * FROM secrets')).rejects.toMatchObject({ code: '42501' });
    }
    await expect(query(clients[0]!, 'SELEC oops')).rejects.toMatchObject({ code: '42601' });
    const masked = await query(clients[1]!, 'SELECT ssn FROM people ORDER BY id');
    expect(masked.rows.map((r) => r.ssn)).not.toContain(SSNS[0]);

    // A DELETE is held until rita approves it through the admin API.
    const held = clients[2]!.query('DELETE FROM items WHERE id = 2');
    run.push('DELETE FROM items WHERE id = 2');
    const rita = { authorization: `Bearer ${await issuer.userToken('rita')}` };
    const pending = await until(async () => {
      const res = await fetch(`${ready.admin}/v1/approvals?status=pending`, { headers: rita });
      const list = ((await res.json()) as { approvals: { id: string }[] }).approvals;
      return list.length > 0 ? list : undefined;
    });
    const queued = parseOpenMetrics(
      await until(async () => {
        const text = await scrape();
        return sample(parseOpenMetrics(text), 'warden_approval_holds_pending', { protocol: 'postgres' }) === 1
          ? text
          : undefined;
      }),
    );
    expect(sample(queued, 'warden_approval_oldest_hold_seconds')).toBeGreaterThan(0);
    const decided = await fetch(`${ready.admin}/v1/approvals/${pending[0]!.id}/decision`, {
      method: 'POST',
      headers: { ...rita, 'content-type': 'application/json' },
      body: JSON.stringify({ verdict: 'approve', justification: 'test' }),
    });
    expect(decided.status).toBe(200);
    await held;

    await expect(connect('not-a-token')).rejects.toMatchObject({ code: '28P01' });
    await Promise.all(clients.map((c) => c.end()));

    const app = { protocol: 'postgres', connection: 'app' };
    // Workers report every 200 ms: wait until every session's end has reached the primary.
    const text = await until(async () => {
      const t = await scrape();
      const m = parseOpenMetrics(t);
      const done =
        sample(m, 'warden_sessions_opened_total', app) === 3 &&
        sample(m, 'warden_sessions_open', app) === 0 &&
        sample(m, 'warden_approval_hold_seconds_count', { protocol: 'postgres', outcome: 'approved' }) ===
          1 &&
        sample(m, 'warden_sessions_refused_total', { protocol: 'postgres', reason: 'bad-token' }) === 1;
      return done ? t : undefined;
    });
    const m = parseOpenMetrics(text);
    expect(sample(m, 'warden_workers_reporting')).toBe(2);
    expect(sample(m, 'warden_sessions_opened_total', { ...app, principal_kind: 'agent' })).toBe(3);
    const statements = (decision: string, rule: string) =>
      sample(m, 'warden_statements_total', { ...app, decision, rule });
    expect(statements('allow', 'allow-rest')).toBe(3 * 5 + 1);
    expect(statements('deny', 'no-secrets')).toBe(3);
    expect(statements('refused', 'syntax-error')).toBe(1);
    expect(statements('held', 'approve-deletes')).toBe(1);
    expect(sample(m, 'warden_masked_values_total', { ...app, entity: 'SSN', strategy: 'redact' })).toBe(2);
    expect(sample(m, 'warden_upstream_connect_seconds_count', app)).toBe(3);
    // Every round trip but the held one (human time) is in the gateway-added histogram.
    expect(sample(m, 'warden_gateway_added_seconds_count', { protocol: 'postgres' })).toBe(roundTrips);
    expect(sample(m, 'warden_audit_append_seconds_count')).toBeGreaterThan(run.length);
    expect(sample(m, 'warden_audit_fsync_batch_events_count')).toBeGreaterThan(0);
    expect(sample(m, 'warden_audit_append_failures_total')).toBe(0);
    expect(sample(m, 'warden_audit_checkpoint_age_seconds')).toBeLessThan(60);
    expect(sample(m, 'process_resident_memory_bytes')).toBeGreaterThan(3 * 20e6);
    expect(sample(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample(m, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
    expect(sample(m, 'warden_ready')).toBe(1);

    // Nothing a client sent or saw is in a label: no SQL, token, subject or masked value.
    const labelValues = m.flatMap((s) => Object.values(s.labels));
    for (const value of ['bot', 'rita', ...run]) expect(labelValues).not.toContain(value);
    for (const secret of [token, METRICS_TOKEN, ...SSNS]) expect(text).not.toContain(secret);
    // Every label value is an identifier (a name from the config or a code), never free text.
    for (const value of labelValues) expect(value).toMatch(/^[A-Za-z0-9_.:+-]*$/);
  }, 60_000);

  it('serves /metrics only to allowed networks or with the metrics token', async () => {
    expect((await fetch(`${ready.admin}/metrics`)).status).toBe(403);
    const wrong = await fetch(`${ready.admin}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(403);
  });

  it('turns not ready while the audit directory is read-only, and ready again once writable', async () => {
    const readyz = async () => {
      const res = await fetch(`${ready.admin}/readyz`);
      return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
    };
    expect(await readyz()).toMatchObject({
      status: 200,
      body: { checks: { audit: 'ok', approvals: 'ok', secrets: 'ok' } },
    });
    expect((await fetch(`${ready.admin}/healthz`)).status).toBe(200);
    await chmod(auditDir, 0o555);
    try {
      expect(await readyz()).toMatchObject({
        status: 503,
        body: { status: 'not-ready', checks: { audit: 'failing' } },
      });
      expect(sample(parseOpenMetrics(await scrape()), 'warden_ready')).toBe(0);
      // Liveness is not readiness: the process is up.
      expect((await fetch(`${ready.admin}/healthz`)).status).toBe(200);
    } finally {
      await chmod(auditDir, 0o755);
    }
    expect(await readyz()).toMatchObject({ status: 200, body: { status: 'ready' } });
  });
});
