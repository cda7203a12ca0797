import { type ChildProcessWithoutNullStreams, execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import {
  postgresConnection,
  spawnGateway,
  WARDEN_BIN,
  writeGatewayConfig,
  writeGatewayFiles,
} from '../support/gateway-stack';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const AUDIENCE = 'urn:warden:cluster-test';

/**
 * The gateway as operators run it: `warden gateway --config FILE` with two worker processes, a
 * real OIDC issuer, a real PostgreSQL upstream and real clients. The primary owns revocations and
 * the admin API; workers serve Postgres on one shared port; each process writes its own audit chain.
 */
describe('warden gateway with one process per core', () => {
  let dir: string;
  let db: TestDatabase;
  let issuer: LocalIssuer;
  let child: ChildProcessWithoutNullStreams;
  let ready: { admin: string; postgres: { host: string; port: number }; role: string };
  let auditPublicKey: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-cluster-'));
    db = await createTestDatabase('gateway_cluster');
    const setup = new Client(db.connection);
    await setup.connect();
    await setup.query(
      'CREATE TABLE items(id int primary key, name text); INSERT INTO items VALUES (1, $$one$$)',
    );
    await setup.query('CREATE TABLE secrets(id int)');
    await setup.end();
    issuer = await startLocalIssuer({
      audience: AUDIENCE,
      agents: [{ clientId: 'bot', clientSecret: 'bot-secret', groups: ['agents'] }],
      users: [{ id: 'ops', groups: ['warden-admins'] }],
    });
    const keys = await writeGatewayFiles(dir, { commonName: 'warden-test' });
    auditPublicKey = keys.auditPublicKey;
    const f = keys.ref;
    const config = {
      version: 1,
      workers: 2,
      listeners: {
        postgres: { host: '127.0.0.1', port: 0, tls: keys.tls },
        admin: { host: '127.0.0.1', port: 0 },
      },
      identity: {
        issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }],
        sessionTokens: { signingKey: f('session.key'), adminGroups: ['warden-admins'] },
      },
      connections: [postgresConnection('app', db, 'CLUSTER_TEST_PG_PASSWORD')],
      access: { grants: [{ name: 'agents-app', connections: ['app'], principals: { groups: ['agents'] } }] },
      policy: {
        rules: [
          {
            name: 'no-secrets',
            decision: 'deny',
            sql: { reads: ['public.secrets'] },
            reason: 'secrets are off limits',
          },
          { name: 'allow-rest', decision: 'allow' },
        ],
      },
      audit: { dir: join(dir, 'audit'), signingKey: f('audit.key') },
    };
    const gateway = spawnGateway<typeof ready>(await writeGatewayConfig(dir, 'warden.json', config), {
      CLUSTER_TEST_PG_PASSWORD: db.connection.password,
    });
    child = gateway.child;
    ready = await gateway.ready;
  }, 60_000);

  afterAll(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await issuer?.close();
    await db?.drop();
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

  it('serves many clients across workers on one port, as the principal, under policy', async () => {
    expect(ready.role).toBe('primary');
    const token = await issuer.agentToken('bot');
    const clients = await Promise.all(Array.from({ length: 6 }, () => connect(token)));
    try {
      const names = await Promise.all(
        clients.map(
          async (c) => (await c.query('SELECT current_setting($1) AS app', ['application_name'])).rows[0].app,
        ),
      );
      expect(new Set(names)).toEqual(new Set(['warden:bot']));
      const rows = await Promise.all(
        clients.map(async (c) => (await c.query('SELECT name FROM items')).rows),
      );
      for (const r of rows) expect(r).toEqual([{ name: 'one' }]);
      await expect(clients[0]!.query('SELECT * FROM secrets')).rejects.toMatchObject({ code: '42501' });
      expect((await clients[0]!.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('honours a session-token revocation made through the primary in every worker', async () => {
    const exchange = async (oidcToken: string) => {
      const res = await fetch(`${ready.admin}/v1/session-tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${oidcToken}` },
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { token: string; tokenId: string };
    };
    const session = await exchange(await issuer.agentToken('bot'));
    const before = await connect(session.token);
    await before.end();
    const revoke = await fetch(`${ready.admin}/v1/session-tokens/revoke`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await issuer.userToken('ops')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ jti: session.tokenId }),
    });
    expect(revoke.status).toBeLessThan(300);
    for (let i = 0; i < 4; i++) await expect(connect(session.token)).rejects.toMatchObject({ code: '28P01' });
  });

  it('stops on SIGTERM with the events of each process in its own verified audit chain', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const report = JSON.parse(
      execFileSync(
        process.execPath,
        [WARDEN_BIN, 'audit', 'verify', join(dir, 'audit'), '--public-key', auditPublicKey, '--json'],
        {
          encoding: 'utf8',
        },
      ),
    );
    expect(report.ok).toBe(true);
    // The primary's chain in the directory itself, one per worker slot under chains/.
    expect(report.chains.map((c: { id: string }) => c.id)).toEqual(['', 'worker-1', 'worker-2']);
    for (const c of report.chains) expect(c.result.signaturesVerified).toBe(true);
    const workerEvents = report.chains
      .filter((c: { id: string }) => c.id !== '')
      .reduce((n: number, c: { result: { events: number } }) => n + c.result.events, 0);
    expect(workerEvents).toBeGreaterThan(20);
  });
});
