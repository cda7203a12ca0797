/**
 * Faults around the gateway's own PostgreSQL dependencies, with real processes: `warden gateway`
 * with two workers, an upstream database and an approvals store that are real PostgreSQL servers
 * the test stops and starts again, a real OIDC issuer and node-postgres clients. Each case says
 * what the client sees, what the audit log holds, and that the gateway serves again afterwards
 * without a restart.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { APPROVE_DELETES_POLICY, DBA_APPROVE_DELETES } from '../support/gateway-stack';
import { type RestartablePostgres, startRestartablePostgres } from '../support/restartable-postgres';
import { type AuditRecord, type FaultGateway, gatewayClient, startFaultGateway, until } from './support';

const AUDIENCE = 'urn:warden:faults-upstream';
jest.setTimeout(60_000);

let dir: string;
let upstream: RestartablePostgres;
let store: RestartablePostgres;
let issuer: LocalIssuer;
let gateway: FaultGateway;
let agentToken: string;
let approverToken: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-faults-upstream-'));
  [upstream, store, issuer] = await Promise.all([
    startRestartablePostgres(),
    startRestartablePostgres(),
    startLocalIssuer({
      audience: AUDIENCE,
      agents: [{ clientId: 'bot', clientSecret: 'bot-secret', groups: ['agents'] }],
      users: [{ id: 'dana', groups: ['dba'] }],
    }),
  ]);
  const setup = new Client({ connectionString: upstream.url() });
  await setup.connect();
  await setup.query('CREATE DATABASE app');
  await setup.end();
  const app = new Client({ connectionString: upstream.url('app') });
  await app.connect();
  await app.query('CREATE TABLE items(id int primary key, name text)');
  await app.query("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g");
  await app.end();
  gateway = await startFaultGateway(
    dir,
    (f) => ({
      version: 1,
      workers: 2,
      listeners: {
        postgres: { host: '127.0.0.1', port: 0, tls: f.tls },
        admin: { host: '127.0.0.1', port: 0 },
      },
      identity: {
        issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }],
        sessionTokens: { signingKey: f.ref('session.key'), adminGroups: ['warden-admins'] },
      },
      connections: [
        {
          name: 'app',
          kind: 'postgres',
          upstream: {
            host: upstream.host,
            port: upstream.port,
            database: 'app',
            user: 'postgres',
            password: 'env:FAULTS_UPSTREAM_PASSWORD',
            tls: { mode: 'disable' },
          },
        },
      ],
      access: { grants: [{ name: 'agents-app', connections: ['app'], principals: { groups: ['agents'] } }] },
      policy: APPROVE_DELETES_POLICY,
      approvals: {
        rules: [DBA_APPROVE_DELETES],
        timeoutMs: 60_000,
        store: { kind: 'postgres', url: 'env:FAULTS_STORE_URL' },
      },
      audit: { dir: join(dir, 'audit'), signingKey: f.ref('audit.key') },
    }),
    { FAULTS_UPSTREAM_PASSWORD: upstream.password, FAULTS_STORE_URL: store.url() },
  );
  [agentToken, approverToken] = await Promise.all([issuer.agentToken('bot'), issuer.userToken('dana')]);
}, 90_000);

afterAll(async () => {
  if (process.env.FAULTS_DEBUG) console.log(gateway?.log.join('\n'));
  await gateway?.stop();
  await Promise.all([upstream?.destroy(), store?.destroy(), issuer?.close()]);
  await rm(dir, { recursive: true, force: true });
});

/** A client through the gateway; errors after the fact (the connection dropped) are the test's to read. */
async function connect(name: string): Promise<Client> {
  const client = await gatewayClient(gateway.ready, 'app', agentToken, { application_name: name });
  client.on('error', () => undefined);
  return client;
}

/** The gateway session a client opened with `application_name`, and its events. */
async function sessionOf(application: string): Promise<AuditRecord[]> {
  const events = await gateway.audit();
  const start = events.find((e) => e.type === 'session.start' && e.body.clientApplication === application);
  if (!start) return [];
  return events.filter((e) => e.session === start.session);
}

async function pendingApprovals(): Promise<{ id: string; session: string }[]> {
  const res = await fetch(`${gateway.ready.admin}/v1/approvals?status=pending`, {
    headers: { authorization: `Bearer ${approverToken}` },
  });
  if (res.status !== 200) return [];
  return ((await res.json()) as { approvals: { id: string; session: string }[] }).approvals;
}

/** The first pending approval, once a held statement has asked for one. */
async function firstHold(): Promise<{ id: string; session: string }> {
  const [approval] = await until(
    async () => {
      const p = await pendingApprovals();
      return p.length > 0 && p;
    },
    10_000,
    'the hold',
  );
  return approval!;
}

function decide(id: string): Promise<Response> {
  return fetch(`${gateway.ready.admin}/v1/approvals/${id}/decision`, {
    method: 'POST',
    headers: { authorization: `Bearer ${approverToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ verdict: 'approve', justification: 'checked' }),
  });
}

describe('the upstream database restarted mid-session', () => {
  it('ends the sessions it had with its own FATAL, refuses new ones clearly while down, and serves again once it is back', async () => {
    const busy = await connect('restart-busy');
    const idle = await connect('restart-idle');
    const idleError = new Promise<Error>((resolve) => idle.once('error', resolve));
    expect((await busy.query('SELECT count(*)::int AS n FROM items')).rows).toEqual([{ n: 100 }]);
    const inFlight = busy.query('SELECT pg_sleep(30)').then(
      () => undefined,
      (err: Error & { code?: string }) => err,
    );
    await until(
      async () =>
        (await sessionOf('restart-busy')).some((e) => e.body.facts?.normalized?.includes('pg_sleep')),
      10_000,
      'the sleep to be audited',
    );

    await upstream.stop();
    // What the server told its sessions on the way down reaches the clients as the server said it.
    expect(await inFlight).toMatchObject({ code: '57P01' });
    expect(await idleError).toMatchObject({ code: '57P01' });

    // While it is down a new session is refused with a reason, not left hanging.
    await expect(connect('restart-down')).rejects.toMatchObject({
      code: '08001',
      message: 'Warden could not connect to the database behind "app"',
    });

    await upstream.start();
    const again = await connect('restart-again');
    expect((await again.query('SELECT name FROM items WHERE id = 7')).rows).toEqual([{ name: 'item 7' }]);
    await again.end();

    // The audit log: each cut session ended as upstream-closed, the refused one ended as
    // upstream-unavailable right after its start, and the statement that was running has its attempt.
    const ends = async (app: string) => (await sessionOf(app)).filter((e) => e.type === 'session.end');
    await until(
      async () => (await ends('restart-busy')).length === 1 && (await ends('restart-idle')).length === 1,
    );
    expect((await ends('restart-busy'))[0]!.body.reason).toBe('upstream-closed');
    expect((await ends('restart-idle'))[0]!.body.reason).toBe('upstream-closed');
    expect((await ends('restart-down')).map((e) => e.body.reason)).toEqual(['upstream-unavailable']);
    const attempts = (await sessionOf('restart-busy')).filter((e) => e.type === 'query.attempt');
    expect(attempts.map((e) => e.body.decision?.outcome)).toEqual(['allow', 'allow']);
  });
});

describe('the approvals store down and back', () => {
  it('keeps a held statement waiting while the store is down, refuses decisions clearly, and releases it on the decision taken once it is back', async () => {
    const client = await connect('store-held');
    const held = client.query('DELETE FROM items WHERE id = 1');
    const approval = await firstHold();

    await store.stop();
    // An approver cannot decide while the store is down: told so, nothing recorded as decided.
    const refused = await decide(approval.id);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ code: 'ERR_APPROVAL_STORE' });
    // The statement keeps waiting: not failed, not run.
    const early = await Promise.race([
      held.then(() => 'done'),
      new Promise((r) => setTimeout(() => r('waiting'), 1500)),
    ]);
    expect(early).toBe('waiting');
    // A new statement needing approval is refused with the reason while the store is down.
    const other = await connect('store-other');
    await expect(other.query('DELETE FROM items WHERE id = 2')).rejects.toMatchObject({
      code: '42501',
      message: expect.stringContaining('the approvals store is unavailable'),
    });
    expect((await other.query('SELECT count(*)::int AS n FROM items WHERE id = 2')).rows).toEqual([{ n: 1 }]);
    await other.end();

    await store.start();
    const ok = await until(
      async () => {
        const res = await decide(approval.id);
        return res.status === 200 && res;
      },
      15_000,
      'a decision once the store is back',
    );
    expect(ok.status).toBe(200);
    expect((await held).rowCount).toBe(1);
    await client.end();

    const events = await sessionOf('store-held');
    const used = (await gateway.audit()).filter(
      (e) => e.type === 'approval.decided' && e.body.approval === approval.id,
    );
    expect(used).toHaveLength(1);
    expect(
      events
        .filter((e) => e.type === 'query.attempt')
        .map((e) => [e.body.decision.outcome, e.body.approvalRule]),
    ).toEqual([['allow', 'approve-deletes']]);
    const refusedHold = (await sessionOf('store-other')).find((e) => e.type === 'query.attempt')!;
    expect(refusedHold.body).toMatchObject({
      decision: { outcome: 'deny' },
      approvalRule: 'approve-deletes',
    });
  });

  it('loses no decision committed while the gateway does not hear the store: the held statement completes when it catches up', async () => {
    const client = await connect('store-race');
    const held = client.query('DELETE FROM items WHERE id = 3');
    const approval = await firstHold();
    // Every gateway process's LISTEN connection is cut, and the decision commits before they are
    // back: its NOTIFY reaches nobody, and only the replay on reconnect can release the hold.
    const admin = new Client({ connectionString: store.url() });
    await admin.connect();
    const LISTENERS = "FROM pg_stat_activity WHERE application_name = 'warden-approvals-listen'";
    // After the store's restart in the test before, each process listens again on its own schedule.
    await until(
      async () => (await admin.query(`SELECT pid ${LISTENERS}`)).rowCount === 3,
      10_000,
      'every process listening again',
    );
    const cut = await admin.query(`SELECT pg_terminate_backend(pid) ${LISTENERS}`);
    await admin.end();
    expect(cut.rowCount).toBe(3);
    expect((await decide(approval.id)).status).toBe(200);
    expect((await held).rowCount).toBe(1);
    await client.end();
  });
});

describe('a worker killed with SIGKILL', () => {
  it('ends its sessions (session.end written by the primary), leaves the other worker serving, and gets a new worker in its slot', async () => {
    const before = await gateway.workers();
    expect(before).toHaveLength(2);
    // Enough sessions that both workers serve some (the primary hands connections round-robin).
    const clients = await Promise.all(Array.from({ length: 8 }, (_, i) => connect(`kill-${i}`)));
    for (const c of clients) {
      c.on('error', () => undefined);
      expect((await c.query('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
    }
    // Which worker serves which client: a session's events are in its worker slot's chain.
    const events = await gateway.audit();
    const sessionOfClient = (i: number) =>
      events.find((e) => e.type === 'session.start' && e.body.clientApplication === `kill-${i}`)!;
    const chainOf = (i: number) => sessionOfClient(i).chain;
    const victimChain = chainOf(0);
    const onVictim = clients.map((_, i) => chainOf(i) === victimChain);
    expect(onVictim.some((v) => v)).toBe(true);
    expect(onVictim.some((v) => !v)).toBe(true);
    const victim = await pidOfChain(victimChain, before);
    process.kill(victim, 'SIGKILL');

    // Its clients see the connection drop; the others carry on.
    const results = await Promise.all(
      clients.map((c) =>
        c.query('SELECT 2 AS n').then(
          (r) => r.rows[0].n as number,
          (err: Error) => err,
        ),
      ),
    );
    results.forEach((r, i) => {
      if (onVictim[i]) expect(String(r)).toMatch(/Connection terminated|ECONNRESET|not queryable/);
      else expect(r).toBe(2);
    });

    // The primary starts a new worker in the slot, and new sessions are served.
    const after = await until(
      async () => {
        const w = await gateway.workers();
        return w.length === 2 && !w.includes(victim) && w;
      },
      15_000,
      'a replacement worker',
    );
    expect(after).toHaveLength(2);
    const fresh = await connect('kill-after');
    expect((await fresh.query('SELECT 3 AS n')).rows).toEqual([{ n: 3 }]);
    await fresh.end();

    // Every session of the killed worker has its session.end, written by the primary in its own chain.
    const lost = clients.map((_, i) => sessionOfClient(i).session).filter((_, i) => onVictim[i]);
    const audit = await until(
      async () => {
        const all = await gateway.audit();
        const ended = all.filter((e) => e.type === 'session.end' && lost.includes(e.session!));
        return ended.length === lost.length && ended;
      },
      10_000,
      'session.end of the lost sessions',
    );
    for (const end of audit) {
      expect(end.chain).toBe('');
      expect(end.body).toMatchObject({
        reason: 'worker-lost',
        worker: victimChain,
        signal: 'SIGKILL',
        endedBy: 'primary',
      });
    }
    await Promise.all(clients.map((c, i) => (onVictim[i] ? undefined : c.end())));
    // The slot's chain continues in the new worker and every chain verifies.
    const report = await gateway.verify();
    expect(report.ok).toBe(true);
  });
});

/** The worker writing chain `chain`: the primary tells each forked worker its slot's chain. */
async function pidOfChain(chain: string, pids: number[]): Promise<number> {
  for (const pid of pids) {
    const env = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (env.split('\0').includes(`WARDEN_AUDIT_CHAIN=${chain}`)) return pid;
  }
  throw new Error(`no worker writes chain ${chain}`);
}
