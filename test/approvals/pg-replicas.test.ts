/**
 * Two gateway replicas, as operators run them (`warden gateway --config FILE`, one process each),
 * sharing the PostgreSQL approvals store: an agent's DELETE held on one is approved through the
 * other's admin API and released within a second, by LISTEN/NOTIFY.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import {
  APPROVE_DELETES_POLICY,
  DBA_APPROVE_DELETES,
  postgresConnection,
  spawnGateway,
  writeGatewayConfig,
  writeGatewayFiles,
} from '../support/gateway-stack';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { until } from './support';

const AUDIENCE = 'urn:warden:replicas-test';

interface Ready {
  readonly admin: string;
  readonly postgres: { host: string; port: number };
}

describe('two gateway replicas on the PostgreSQL approvals store', () => {
  let dir: string;
  let upstream: TestDatabase;
  let shared: TestDatabase;
  let issuer: LocalIssuer;
  const children: ChildProcessWithoutNullStreams[] = [];
  let one: Ready;
  let two: Ready;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-replicas-'));
    [upstream, shared] = await Promise.all([
      createTestDatabase('approvals_replicas_app'),
      createTestDatabase('approvals_replicas_store'),
    ]);
    const setup = new Client(upstream.connection);
    await setup.connect();
    await setup.query(
      `CREATE TABLE items(id int primary key, name text);
       INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 5) g`,
    );
    await setup.end();
    issuer = await startLocalIssuer({
      audience: AUDIENCE,
      agents: [{ clientId: 'bot', clientSecret: 'bot-secret', groups: ['agents'] }],
      users: [{ id: 'rita', groups: ['dba'] }],
    });
    const keys = await writeGatewayFiles(dir, { commonName: 'warden-test' });
    const f = keys.ref;
    const config = (replica: string) => ({
      version: 1,
      workers: 1,
      listeners: {
        postgres: { host: '127.0.0.1', port: 0, tls: keys.tls },
        admin: { host: '127.0.0.1', port: 0 },
      },
      identity: {
        issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }],
        sessionTokens: { signingKey: f('session.key') },
      },
      connections: [postgresConnection('app', upstream, 'REPLICAS_TEST_PG_PASSWORD')],
      access: { grants: [{ name: 'agents-app', connections: ['app'], principals: { groups: ['agents'] } }] },
      policy: APPROVE_DELETES_POLICY,
      approvals: {
        timeoutMs: 30_000,
        rules: [DBA_APPROVE_DELETES],
        store: { kind: 'postgres', url: 'env:REPLICAS_TEST_STORE_URL' },
      },
      // Each replica keeps its own audit chain (one writer per chain).
      audit: { dir: join(dir, `audit-${replica}`), signingKey: f('audit.key') },
    });
    const start = async (replica: string): Promise<Ready> => {
      const file = await writeGatewayConfig(dir, `warden-${replica}.json`, config(replica));
      const gateway = spawnGateway<Ready>(
        file,
        { REPLICAS_TEST_PG_PASSWORD: upstream.connection.password, REPLICAS_TEST_STORE_URL: shared.url },
        `gateway ${replica}`,
      );
      children.push(gateway.child);
      return gateway.ready;
    };
    [one, two] = await Promise.all([start('one'), start('two')]);
  }, 60_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await issuer?.close();
    await Promise.all([upstream?.drop(), shared?.drop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('releases a statement held on one replica within a second of its approval through the other', async () => {
    const client = new Client({
      host: one.postgres.host,
      port: one.postgres.port,
      database: 'app',
      user: 'bot',
      password: await issuer.agentToken('bot'),
      ssl: { rejectUnauthorized: false },
    });
    const notices: string[] = [];
    client.on('notice', (n) => notices.push(n.message ?? ''));
    await client.connect();
    try {
      let releasedAt = 0;
      const held = client.query('DELETE FROM items WHERE id = 1').then((r) => {
        releasedAt = performance.now();
        return r;
      });
      const id = await until(() => notices.map((m) => /approval ([0-9a-f-]{36})/.exec(m)?.[1]).find(Boolean));
      const token = await issuer.userToken('rita');
      const seen = await fetch(`${two.admin}/v1/approvals/${id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(await seen.json()).toMatchObject({ id, status: 'pending', rule: 'approve-deletes' });

      const sent = performance.now();
      const res = await fetch(`${two.admin}/v1/approvals/${id}/decision`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ verdict: 'approve', justification: 'duplicate row, ticket 7' }),
      });
      const decided = performance.now();
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'approved' });
      expect((await held).rowCount).toBe(1);
      const afterDecision = releasedAt - decided;
      console.log(
        `held on replica one, approved through replica two: released ${afterDecision.toFixed(1)} ms after ` +
          `the decision response (${(releasedAt - sent).toFixed(1)} ms after the request was sent)`,
      );
      // The design target is < 1 s; the margin keeps a loaded CI machine from flaking.
      expect(releasedAt - sent).toBeLessThan(2000);
      expect((await client.query('SELECT count(*)::int AS n FROM items')).rows[0].n).toBe(4);
    } finally {
      await client.end();
    }
  });
});
