/**
 * One command gate for every protocol (protocols/gate.ts): the same cases — a policy that throws,
 * a rule that denies, a rule that holds for approval and an approver who allows — through the real
 * gateway's Postgres, SSH and HTTP listeners, with node-postgres, stock `ssh` and `curl` as clients,
 * a real OIDC issuer, a real PostgreSQL upstream, the sandbox OpenSSH host and FHIR API. Each case
 * must give the same audit record and the same observer event whatever the protocol; only the way
 * the refusal is worded belongs to the protocol.
 */
import { execFile } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { validateConfig } from '../../gateway-image/src/config/load';
import { type RunningGateway, startGateway } from '../../gateway-image/src/gateway/start';
import type { Facts } from '../../gateway-image/src/inspect/facts';
import { createLogger } from '../../gateway-image/src/logging/logger';
import { GATE_CHANNEL, type GateAttemptEvent } from '../../gateway-image/src/protocols/gate';
import { type SandboxFhirApi, startSandboxFhirApi } from '../../gateway-image/src/sandbox/fhir-api';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import {
  keygen,
  type OpenSshServer,
  publicKeyLine,
  startSandboxSshHost,
} from '../../gateway-image/src/sandbox/ssh-host';
import { until } from '../approvals/support';
import { readAuditLines } from '../support/audit-lines';
import { postgresConnection, sshConnection, writeGatewayFiles } from '../support/gateway-stack';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { runOpenSsh } from '../support/ssh-client';

const run = promisify(execFile);
const AUDIENCE = 'urn:warden:one-gate-test';
/** Facts carrying this word make the policy engine throw. */
const BOOM = 'boomtrigger';

interface AuditLine {
  readonly type: string;
  readonly connection: string | null;
  readonly body: Record<string, unknown> & {
    decision?: { outcome: string; rule?: string };
    outcome?: string;
    approvalRule?: string;
  };
}

/** What one protocol's client does, and how its refusals read. */
interface Protocol {
  readonly name: 'postgres' | 'ssh' | 'http';
  readonly connection: string;
  readonly attemptType: string;
  /** Runs the command; resolves with what the client saw (ok, or the refusal text). */
  run(command: 'allowed' | 'boom' | 'denied' | 'held'): Promise<{ ok: boolean; text: string }>;
}

describe('one command gate through Postgres, SSH and HTTP', () => {
  let dir: string;
  let db: TestDatabase;
  let issuer: LocalIssuer;
  let sshHost: OpenSshServer;
  let fhir: SandboxFhirApi;
  let gateway: RunningGateway;
  let agentToken: string;
  // Read as any observer may: every protocol's attempt body, looked at field by field.
  const observed: (Pick<GateAttemptEvent, 'type' | 'connection'> & {
    body: Readonly<Record<string, unknown>>;
  })[] = [];
  const observe = (m: unknown) => observed.push(m as (typeof observed)[number]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-one-gate-'));
    [db, issuer, sshHost, fhir] = await Promise.all([
      createTestDatabase('one_gate'),
      startLocalIssuer({
        audience: AUDIENCE,
        agents: [{ clientId: 'bot', clientSecret: 'bot-secret', groups: ['agents'] }],
        users: [{ id: 'rita', groups: ['dba'] }],
      }),
      startSandboxSshHost({ patients: 20, seed: 1 }),
      startSandboxFhirApi({ patients: 20, seed: 1 }),
    ]);
    const setup = new Client(db.connection);
    await setup.connect();
    await setup.query('create table notes (id int, body text)');
    await setup.end();
    const role = await db.gatewayRole();
    process.env.ONE_GATE_PG_PASSWORD = role.password;
    const gatewayKey = keygen(dir, 'gateway_ed25519');
    const keys = await writeGatewayFiles(dir, {
      commonName: 'warden-test',
      altNames: ['IP:127.0.0.1'],
      extra: { 'lab.key': sshHost.clientPrivateKey, 'fhir.token': fhir.token },
    });
    const f = keys.ref;
    const pg = postgresConnection('app', db, 'ONE_GATE_PG_PASSWORD');
    const config = validateConfig({
      version: 1,
      listeners: {
        postgres: { host: '127.0.0.1', port: 0, tls: keys.tls },
        ssh: { host: '127.0.0.1', port: 0, hostKey: f('gateway_ed25519') },
        http: { host: '127.0.0.1', port: 0, tls: keys.tls },
      },
      identity: { issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }] },
      connections: [
        { ...pg, upstream: { ...pg.upstream, user: role.user } },
        sshConnection('lab-host', sshHost, f('lab.key')),
        {
          name: 'fhir',
          kind: 'http',
          upstream: { url: fhir.url, credential: { type: 'bearer', token: f('fhir.token') } },
        },
      ],
      access: {
        grants: [
          { name: 'agents', connections: ['app', 'lab-host', 'fhir'], principals: { groups: ['agents'] } },
        ],
      },
      policy: {
        default: 'deny',
        rules: [
          { name: 'deny-sql', decision: 'deny', reason: 'no deletion', sql: { kinds: ['delete'] } },
          { name: 'deny-ssh', decision: 'deny', reason: 'no removal', ssh: { programs: ['rm'] } },
          { name: 'deny-http', decision: 'deny', reason: 'no deletion', http: { methods: ['DELETE'] } },
          { name: 'hold-sql', decision: 'require-approval', reason: 'a write', sql: { kinds: ['insert'] } },
          { name: 'hold-ssh', decision: 'require-approval', reason: 'a write', ssh: { programs: ['touch'] } },
          { name: 'hold-http', decision: 'require-approval', reason: 'a write', http: { methods: ['POST'] } },
          { name: 'allow-rest', decision: 'allow' },
        ],
      },
      approvals: { rules: [{ policyRules: ['*'], approverGroups: ['dba'] }] },
      audit: { dir: join(dir, 'audit'), signingKey: f('audit.key') },
    });
    gateway = await startGateway(config, {
      logger: createLogger({ WARDEN_LOG_LEVEL: 'silent' }),
      serve: { admin: false },
    });
    // A policy that throws on facts naming BOOM: the same exception reaches every protocol's gate.
    const policy = gateway.services.policy;
    const decide = policy.decide.bind(policy);
    Object.assign(policy, {
      decide: (...a: Parameters<typeof decide>) => {
        if (JSON.stringify(a[2] satisfies Facts).includes(BOOM)) throw new Error('policy exploded');
        return decide(...a);
      },
    });
    await writeFile(
      join(dir, 'known_hosts'),
      `[127.0.0.1]:${gateway.ssh!.port} ${publicKeyLine(`${gatewayKey}.pub`)}\n`,
    );
    agentToken = await issuer.agentToken('bot');
    diagnosticsChannel.subscribe(GATE_CHANNEL, observe);
  }, 90_000);

  afterAll(async () => {
    diagnosticsChannel.unsubscribe(GATE_CHANNEL, observe);
    await gateway?.close();
    await Promise.all([issuer?.close(), sshHost?.close(), fhir?.close()]);
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const SQL = {
    allowed: 'select count(*) from notes',
    boom: `select 1 as ${BOOM}`,
    denied: 'delete from notes',
    held: "insert into notes values (1, 'held')",
  };
  const SHELL = {
    allowed: 'echo fine',
    boom: `echo ${BOOM}`,
    denied: 'rm -f nothing-here',
    held: 'touch held-by-warden',
  };
  const HTTP = {
    allowed: ['GET', '/fhir/Patient?_count=1'],
    boom: ['GET', `/fhir/${BOOM}`],
    denied: ['DELETE', '/fhir/Patient/1'],
    held: ['POST', '/fhir/Patient'],
  } as const;

  const protocols: Protocol[] = [
    {
      name: 'postgres',
      connection: 'app',
      attemptType: 'query.attempt',
      async run(command) {
        const c = new Client({
          host: '127.0.0.1',
          port: gateway.postgres!.port,
          database: 'app',
          user: 'bot',
          password: agentToken,
          ssl: { rejectUnauthorized: false },
        });
        c.on('error', () => undefined);
        await c.connect();
        try {
          await c.query(SQL[command]);
          return { ok: true, text: '' };
        } catch (err) {
          return { ok: false, text: (err as Error).message };
        } finally {
          await c.end();
        }
      },
    },
    {
      name: 'ssh',
      connection: 'lab-host',
      attemptType: 'command.attempt',
      async run(command) {
        const r = await runOpenSsh({
          port: gateway.ssh!.port,
          knownHosts: join(dir, 'known_hosts'),
          token: agentToken,
          user: 'lab-host',
          command: SHELL[command],
        });
        return { ok: r.code === 0, text: r.stderr };
      },
    },
    {
      name: 'http',
      connection: 'fhir',
      attemptType: 'request.attempt',
      async run(command) {
        const [method, path] = HTTP[command];
        const { stdout } = await run('curl', [
          '-sk',
          '-X',
          method,
          '-H',
          `Authorization: Bearer ${agentToken}`,
          ...(method === 'POST' ? ['-H', 'content-type: application/fhir+json', '-d', '{}'] : []),
          '-w',
          '\n%{http_code}',
          `https://127.0.0.1:${gateway.http!.port}${path}`,
        ]);
        const status = Number(stdout.slice(stdout.lastIndexOf('\n') + 1));
        const body = stdout.slice(0, stdout.lastIndexOf('\n'));
        // A refusal by the gateway is a problem document; an upstream answer (even 4xx) was forwarded.
        const refused = body.includes('urn:warden:error:');
        return { ok: !refused && status > 0, text: refused ? (JSON.parse(body).detail as string) : '' };
      },
    },
  ];

  async function audit(): Promise<AuditLine[]> {
    return readAuditLines(join(dir, 'audit'));
  }

  async function lastAttempt(p: Protocol): Promise<AuditLine> {
    const events = await audit();
    const attempts = events.filter((e) => e.type === p.attemptType && e.connection === p.connection);
    return attempts.at(-1)!;
  }

  describe.each(protocols.map((p) => [p.name, p] as const))('%s', (_name, p) => {
    it('passes an allowed command, audited and observed as allowed', async () => {
      const seen = observed.length;
      expect(await p.run('allowed')).toEqual({ ok: true, text: '' });
      expect((await lastAttempt(p)).body.decision).toMatchObject({ outcome: 'allow', rule: 'allow-rest' });
      const events = observed.slice(seen).filter((e) => e.type === p.attemptType);
      expect(events.map((e) => [e.connection, e.body.decision])).toContainEqual([
        p.connection,
        { outcome: 'allow', rule: 'allow-rest' },
      ]);
    });

    it('refuses a command whose policy cannot be evaluated, audited as policy-error', async () => {
      const seen = observed.length;
      const r = await p.run('boom');
      expect(r.ok).toBe(false);
      expect(r.text).toMatch(/could not (be )?evaluate/);
      expect(r.text).not.toContain('policy exploded');
      const attempt = await lastAttempt(p);
      expect(attempt.body.outcome).toBe('policy-error');
      expect(attempt.body).not.toHaveProperty('decision');
      expect(
        observed.slice(seen).some((e) => e.type === p.attemptType && e.body.outcome === 'policy-error'),
      ).toBe(true);
    });

    it('refuses a denied command naming the rule, audited with the decision', async () => {
      const r = await p.run('denied');
      expect(r.ok).toBe(false);
      expect(r.text).toContain(
        `denied by Warden policy rule "deny-${p.name === 'postgres' ? 'sql' : p.name}"`,
      );
      expect((await lastAttempt(p)).body.decision).toMatchObject({ outcome: 'deny' });
    });

    it('holds a command until an approver allows it; the approval names the protocol', async () => {
      const rule = `hold-${p.name === 'postgres' ? 'sql' : p.name}`;
      const approvals = gateway.services.approvals!;
      const result = p.run('held');
      const pending = await until(
        async () => (await approvals.service.list('pending')).find((a) => a.connection === p.connection),
        20_000,
      );
      expect(pending).toMatchObject({ protocol: p.name, rule, kind: 'command' });
      expect(typeof pending.command).toBe('string');
      expect(pending.statements === undefined).toBe(p.name !== 'postgres');
      const rita = await gateway.services.authenticator.authenticate(await issuer.userToken('rita'));
      await approvals.service.decide(rita, pending.id, { verdict: 'approve', justification: 'checked' });
      expect((await result).ok).toBe(true);
      const attempt = await lastAttempt(p);
      expect(attempt.body).toMatchObject({ approvalRule: rule, decision: { outcome: 'allow', rule } });
      const requested = (await audit()).filter(
        (e) => e.type === 'approval.requested' && e.body.approval === pending.id,
      );
      expect(requested).toEqual([
        expect.objectContaining({ body: expect.objectContaining({ protocol: p.name }) }),
      ]);
    }, 60_000);
  });
});
