/**
 * Live sessions through the admin API on a gateway run as operators run it: `warden gateway` with
 * two worker processes (the admin API in the primary, sessions in the workers), a real OIDC issuer,
 * a real PostgreSQL upstream and the sandbox OpenSSH host, node-postgres and stock `ssh` as
 * clients. An administrator lists and terminates a Postgres and an SSH session; each client is
 * told who ended it and why; the audit log has the act and the session's end; approvers may look
 * but not terminate.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { searchAudit } from '../../gateway-image/src/admin/audit-search';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import {
  keygen,
  type OpenSshServer,
  publicKeyLine,
  startSandboxSshHost,
} from '../../gateway-image/src/sandbox/ssh-host';
import { until } from '../approvals/support';
import {
  APPROVE_DELETES_POLICY,
  DBA_APPROVE_DELETES,
  postgresConnection,
  spawnGateway,
  sshConnection,
  writeGatewayConfig,
  writeGatewayFiles,
} from '../support/gateway-stack';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { runOpenSsh } from '../support/ssh-client';

const AUDIENCE = 'urn:warden:live-sessions-test';

interface Ready {
  readonly admin: string;
  readonly postgres: { host: string; port: number };
  readonly ssh: { host: string; port: number };
}

interface Listed {
  readonly session: string;
  readonly protocol: string;
  readonly connection: string;
  readonly principal: { subject: string };
  readonly pid: number;
  readonly terminable: boolean;
}

describe('terminating live sessions of a multi-process gateway', () => {
  let dir: string;
  let upstream: TestDatabase;
  let store: TestDatabase;
  let issuer: LocalIssuer;
  let sshHost: OpenSshServer;
  let child: ChildProcessWithoutNullStreams;
  let ready: Ready;
  let auditDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-live-sessions-'));
    [upstream, store, issuer, sshHost] = await Promise.all([
      createTestDatabase('live_sessions_app'),
      createTestDatabase('live_sessions_store'),
      startLocalIssuer({
        audience: AUDIENCE,
        agents: [{ clientId: 'bot', clientSecret: 'bot-secret', groups: ['agents'] }],
        users: [
          { id: 'ops', groups: ['warden-admins'] },
          { id: 'rita', groups: ['dba'] },
        ],
      }),
      startSandboxSshHost({ patients: 20, seed: 1 }),
    ]);
    const gatewayKey = keygen(dir, 'gateway_ed25519');
    const keys = await writeGatewayFiles(dir, {
      commonName: 'warden-test',
      extra: { 'lab.key': sshHost.clientPrivateKey },
    });
    const f = keys.ref;
    auditDir = join(dir, 'audit');
    const config = {
      version: 1,
      workers: 2,
      listeners: {
        postgres: { host: '127.0.0.1', port: 0, tls: keys.tls },
        ssh: { host: '127.0.0.1', port: 0, hostKey: f('gateway_ed25519') },
        admin: { host: '127.0.0.1', port: 0 },
      },
      identity: {
        issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }],
        sessionTokens: { signingKey: f('session.key'), adminGroups: ['warden-admins'] },
      },
      connections: [
        postgresConnection('app', upstream, 'LIVE_TEST_PG_PASSWORD'),
        sshConnection('lab-host', sshHost, f('lab.key')),
      ],
      access: {
        grants: [{ name: 'agents', connections: ['app', 'lab-host'], principals: { groups: ['agents'] } }],
      },
      policy: APPROVE_DELETES_POLICY,
      approvals: {
        rules: [DBA_APPROVE_DELETES],
        store: { kind: 'postgres', url: 'env:LIVE_TEST_STORE_URL' },
      },
      audit: { dir: auditDir, signingKey: f('audit.key') },
    };
    const gateway = spawnGateway<Ready>(await writeGatewayConfig(dir, 'warden.json', config), {
      LIVE_TEST_PG_PASSWORD: upstream.connection.password,
      LIVE_TEST_STORE_URL: store.url,
    });
    child = gateway.child;
    ready = await gateway.ready;
    await writeFile(
      join(dir, 'known_hosts'),
      `[127.0.0.1]:${ready.ssh.port} ${publicKeyLine(`${gatewayKey}.pub`)}\n`,
    );
  }, 90_000);

  afterAll(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await Promise.all([issuer?.close(), sshHost?.close()]);
    await Promise.all([upstream?.drop(), store?.drop()]);
    await rm(dir, { recursive: true, force: true });
  });

  const admin = async (user: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${ready.admin}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await issuer.userToken(user)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const listed = async (user = 'ops') => (await admin(user, 'GET', '/v1/sessions')).body.sessions as Listed[];
  const liveOn = (protocol: string) =>
    until(async () => (await listed()).find((s) => s.protocol === protocol && s.principal.subject === 'bot'));
  const eventsOf = async (session: string) => (await searchAudit(auditDir, { session, limit: 100 })).events;

  it('ends a Postgres session served by a worker, with who and why, and audits both', async () => {
    const client = new Client({
      host: ready.postgres.host,
      port: ready.postgres.port,
      database: 'app',
      user: 'bot',
      password: await issuer.agentToken('bot'),
      ssl: { rejectUnauthorized: false },
    });
    const ended = new Promise<Error>((resolve) => client.on('error', resolve));
    await client.connect();
    const running = client.query('SELECT pg_sleep(30)').then(
      () => undefined,
      (err: Error) => err,
    );

    const live = await liveOn('postgres');
    expect(live).toMatchObject({ connection: 'app', terminable: true });
    expect(live.pid).not.toBe(child.pid); // a worker serves it; the primary owns the admin API

    // An approver sees the session but may not end it.
    const asApprover = await admin('rita', 'GET', '/v1/sessions');
    expect(asApprover).toMatchObject({ status: 200, body: { canTerminate: false } });
    const refused = await admin('rita', 'POST', `/v1/sessions/${live.session}/terminate`, {});
    expect(refused).toMatchObject({ status: 403, body: { code: 'ERR_FORBIDDEN' } });

    const invalid = await admin('ops', 'POST', `/v1/sessions/${live.session}/terminate`, { reason: 42 });
    expect(invalid).toMatchObject({ status: 400, body: { code: 'ERR_BODY_INVALID' } });
    const done = await admin('ops', 'POST', `/v1/sessions/${live.session}/terminate`, {
      reason: 'incident 42',
    });
    expect(done).toMatchObject({
      status: 200,
      body: {
        status: 'terminated',
        terminatedBy: 'ops',
        reason: 'incident 42',
        session: { session: live.session },
      },
    });
    const err = (await running) as Error & { code?: string; severity?: string };
    expect(err).toMatchObject({ code: '57P01', severity: 'FATAL' });
    expect(err.message).toBe('Warden session terminated by an administrator (ops): incident 42');
    await ended;

    expect((await listed()).map((s) => s.session)).not.toContain(live.session);
    const again = await admin('ops', 'POST', `/v1/sessions/${live.session}/terminate`);
    expect(again).toMatchObject({ status: 404, body: { code: 'ERR_SESSION_NOT_FOUND' } });

    const events = await until(async () => {
      const e = await eventsOf(live.session);
      return e.some((x) => x.type === 'session.end') ? e : undefined;
    });
    expect(events.find((e) => e.type === 'session.terminated')).toMatchObject({
      principal: { subject: 'ops' },
      connection: 'app',
      body: { protocol: 'postgres', subject: 'bot', reason: 'incident 42' },
    });
    expect(events.find((e) => e.type === 'session.end')).toMatchObject({
      principal: { subject: 'bot' },
      body: { reason: 'terminated', terminatedBy: 'ops', terminationReason: 'incident 42' },
    });
  }, 30_000);

  it('ends an OpenSSH session with a line on stderr, and audits it', async () => {
    const run = runOpenSsh({
      port: ready.ssh.port,
      knownHosts: join(dir, 'known_hosts'),
      token: await issuer.agentToken('bot'),
      user: 'lab-host',
      command: 'sleep 30',
    });
    const live = await liveOn('ssh');
    expect(live).toMatchObject({ connection: 'lab-host', terminable: true });

    // The reason reaches the client as one line: control characters cannot forge more output.
    const done = await admin('ops', 'POST', `/v1/sessions/${live.session}/terminate`, {
      reason: 'maintenance\r\nwarden: all clear',
    });
    expect(done).toMatchObject({ status: 200, body: { status: 'terminated', terminatedBy: 'ops' } });
    const result = await run;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'warden: session terminated by an administrator (ops): maintenance warden: all clear\r\n',
    );

    expect((await listed()).map((s) => s.session)).not.toContain(live.session);
    const end = await until(async () => (await eventsOf(live.session)).find((e) => e.type === 'session.end'));
    expect(end.body).toMatchObject({ protocol: 'ssh', reason: 'terminated', terminatedBy: 'ops' });
  }, 30_000);
});
