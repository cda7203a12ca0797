/**
 * Hostile or broken clients against `warden gateway` with two workers: slow-loris connections on
 * every listener, clients that never read their results, and a flood of bad logins from one
 * address. Real sockets, real node-postgres and ssh2 clients, a real OIDC issuer; each case says
 * what the client sees, what the audit log holds, and that everyone else is served meanwhile.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { Client } from 'pg';
import { Client as SshClient } from 'ssh2';
import {
  type SandboxKubernetesApi,
  startSandboxKubernetesApi,
} from '../../gateway-image/src/sandbox/kubernetes/server';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { postgresConnection } from '../support/gateway-stack';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { type FaultGateway, gatewayClient, rssMb, startFaultGateway, until } from './support';

const AUDIENCE = 'urn:warden:faults-clients';
/** The flood comes from a loopback address of its own, so it is a source of its own. */
const FLOOD_SOURCE = '127.0.0.2';
const STARTUP_TIMEOUT_MS = 2000;
const MAX_FAILURES = 10;
const BLOCK_SEC = 3;
jest.setTimeout(60_000);

let dir: string;
let db: TestDatabase;
let issuer: LocalIssuer;
let upstreamApi: Server;
let cluster: SandboxKubernetesApi;
let gateway: FaultGateway;
let token: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-faults-clients-'));
  [db, issuer] = await Promise.all([
    createTestDatabase('faults_clients'),
    startLocalIssuer({
      audience: AUDIENCE,
      agents: [{ clientId: 'bot', clientSecret: 'bot-secret', groups: ['agents'] }],
    }),
  ]);
  upstreamApi = await bigBodyApi();
  cluster = await startSandboxKubernetesApi({ patients: 5, seed: 1 });
  const hostKey = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
  gateway = await startFaultGateway(
    dir,
    (f) => ({
      version: 1,
      workers: 2,
      listeners: {
        postgres: { host: '127.0.0.1', port: 0, tls: f.tls, startupTimeoutMs: STARTUP_TIMEOUT_MS },
        ssh: {
          host: '127.0.0.1',
          port: 0,
          hostKey: 'env:FAULTS_SSH_HOST_KEY',
          authTimeoutMs: STARTUP_TIMEOUT_MS,
        },
        http: {
          host: '127.0.0.1',
          port: 0,
          tls: f.tls,
          headersTimeoutMs: STARTUP_TIMEOUT_MS,
          requestTimeoutMs: STARTUP_TIMEOUT_MS + 1000,
        },
        kubernetes: {
          host: '127.0.0.1',
          port: 0,
          tls: f.tls,
          headersTimeoutMs: STARTUP_TIMEOUT_MS,
          requestTimeoutMs: STARTUP_TIMEOUT_MS + 1000,
        },
        admin: { host: '127.0.0.1', port: 0 },
      },
      identity: {
        issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }],
        sessionTokens: { signingKey: f.ref('session.key') },
        loginThrottle: { maxFailures: MAX_FAILURES, windowSec: 60, blockSec: BLOCK_SEC },
      },
      connections: [
        postgresConnection('app', db, 'FAULTS_PG_PASSWORD'),
        {
          name: 'api',
          kind: 'http',
          phi: false,
          upstream: {
            url: `http://127.0.0.1:${(upstreamApi.address() as { port: number }).port}`,
            credential: { type: 'none' },
          },
        },
        {
          name: 'cluster',
          kind: 'kubernetes',
          upstream: {
            url: cluster.url,
            tls: { ca: 'env:FAULTS_K8S_CA' },
            credential: { type: 'bearer', token: 'env:FAULTS_K8S_TOKEN' },
          },
        },
      ],
      access: {
        grants: [
          { name: 'agents', connections: ['app', 'api', 'cluster'], principals: { groups: ['agents'] } },
        ],
      },
      policy: { rules: [{ name: 'allow-all', decision: 'allow' }] },
      audit: { dir: join(dir, 'audit'), signingKey: f.ref('audit.key') },
    }),
    {
      FAULTS_PG_PASSWORD: db.connection.password,
      FAULTS_SSH_HOST_KEY: hostKey,
      FAULTS_K8S_CA: cluster.ca,
      FAULTS_K8S_TOKEN: cluster.token,
    },
  );
  token = await issuer.agentToken('bot');
  await warmUp();
}, 90_000);

afterAll(async () => {
  if (process.env.FAULTS_DEBUG) console.log(gateway?.log.join('\n'));
  await gateway?.stop();
  await new Promise((r) => upstreamApi?.close(r));
  await Promise.all([issuer?.close(), db?.drop(), cluster?.close()]);
  await rm(dir, { recursive: true, force: true });
});

const connect = async (name: string, extra: Record<string, unknown> = {}) => {
  const c = await gatewayClient(gateway.ready, 'app', token, { application_name: name, ...extra });
  c.on('error', () => undefined);
  return c;
};

/** Round trips of `SELECT 1` on a fresh session while something else goes on; the slowest, in ms. */
async function slowestRoundTrip(n: number): Promise<number> {
  const c = await connect('bystander');
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await c.query('SELECT 1');
    worst = Math.max(worst, performance.now() - t);
    await new Promise((r) => setTimeout(r, 50));
  }
  await c.end();
  return worst;
}

/**
 * A worker's resident memory rises once to a plateau with its first large results (V8 and malloc
 * keep the pages they grew into) and stays there; bounds are measured from that plateau. Every
 * worker gets some: sessions are handed out round-robin.
 */
async function warmUp(): Promise<void> {
  await Promise.all(
    Array.from({ length: 4 }, async (_, i) => {
      const c = await connect(`warm-up-${i}`);
      await c.query("SELECT repeat('x', 1000) AS filler FROM generate_series(1, 100000)");
      await c.end();
    }),
  );
}

async function workersRss(): Promise<number[]> {
  return Promise.all((await gateway.workers()).map(rssMb));
}

describe('slow-loris clients', () => {
  it('are cut off at the configured deadline on every listener, hold no session and no audit event, and leave everyone else served', async () => {
    const { postgres, ssh, http, kubernetes } = gateway.ready;
    const before = await workersRss();
    const auditBefore = (await gateway.audit()).length;
    const dribblers = [
      ...Array.from({ length: 40 }, () =>
        dribble(tcpConnect(postgres!.port, postgres!.host), startupBytes()),
      ),
      ...Array.from({ length: 40 }, () =>
        dribble(tcpConnect(ssh!.port, ssh!.host), Buffer.from('SSH-2.0-slowloris\r\n')),
      ),
      ...Array.from({ length: 20 }, () =>
        dribble(
          tlsConnect({ port: http!.port, host: http!.host, rejectUnauthorized: false }),
          Buffer.from('GET /api/ HTTP/1.1\r\nHost: x\r\n'),
        ),
      ),
      ...Array.from({ length: 20 }, () =>
        dribble(
          tlsConnect({ port: http!.port, host: http!.host, rejectUnauthorized: false }),
          Buffer.from(
            `POST /api/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 4096\r\n\r\n${'x'.repeat(64)}`,
          ),
          // Headers at once, then a body that trickles.
          110,
        ),
      ),
      ...Array.from({ length: 10 }, () =>
        dribble(
          tlsConnect({ port: kubernetes!.port, host: kubernetes!.host, rejectUnauthorized: false }),
          Buffer.from('GET /cluster/api/v1/pods HTTP/1.1\r\nHost: x\r\n'),
        ),
      ),
      ...Array.from({ length: 10 }, () =>
        dribble(
          tlsConnect({ port: kubernetes!.port, host: kubernetes!.host, rejectUnauthorized: false }),
          Buffer.from(
            `POST /cluster/api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 4096\r\n\r\n${'x'.repeat(64)}`,
          ),
          110,
        ),
      ),
    ];
    // Everyone else is served normally meanwhile.
    expect(await slowestRoundTrip(20)).toBeLessThan(1500);
    const lifetimes = await Promise.all(dribblers.map((d) => d.closed));
    for (const ms of lifetimes) {
      expect(ms).toBeGreaterThanOrEqual(STARTUP_TIMEOUT_MS - 300);
      expect(ms).toBeLessThan(STARTUP_TIMEOUT_MS + 6000);
    }
    // What the HTTP dribblers heard: 408 for a request that never finished arriving.
    const httpAnswers = dribblers.slice(80).map((d) => d.received().split('\r\n')[0]);
    for (const a of httpAnswers) expect(a === '' || a.startsWith('HTTP/1.1 408')).toBe(true);
    expect(httpAnswers.some((a) => a.startsWith('HTTP/1.1 408'))).toBe(true);
    const after = await workersRss();
    for (const [i, mb] of after.entries()) expect(mb - (before[i] ?? mb)).toBeLessThan(32);
    // Never logged in, so never a session: nothing for the audit log but the bystander's session.
    const added = (await gateway.audit()).slice(auditBefore);
    expect(added.filter((e) => e.type === 'session.refused' || e.type === 'request.refused')).toEqual([]);
  });
});

describe('a client that never reads its results', () => {
  it('holds the upstream at its socket (bounded memory), leaves other sessions unaffected, and is cancelled upstream when it goes', async () => {
    const before = await workersRss();
    const stuck = await connect('never-reads');
    // About a gigabyte of rows; the client reads none of it.
    void stuck
      .query("SELECT repeat('x', 1000) AS filler FROM generate_series(1, 1000000)")
      .catch(() => undefined);
    const socket = (stuck as unknown as { connection: { stream: Socket } }).connection.stream;
    socket.pause();
    const direct = new Client(db.connection);
    await direct.connect();
    // The database waits to write to the gateway, which waits for the client: backpressure end to end.
    await until(
      async () => {
        const { rows } = await direct.query(
          "SELECT wait_event FROM pg_stat_activity WHERE query LIKE 'SELECT repeat%' AND state = 'active'",
        );
        return rows[0]?.wait_event === 'ClientWrite';
      },
      20_000,
      'the upstream to block on writing',
    );
    await new Promise((r) => setTimeout(r, 2000));
    const after = await workersRss();
    for (const [i, mb] of after.entries()) expect(mb - (before[i] ?? mb)).toBeLessThan(32);
    expect(await slowestRoundTrip(10)).toBeLessThan(1500);

    // It goes away: its statement is cancelled upstream and its session ends.
    socket.destroy();
    await until(
      async () => {
        const { rows } = await direct.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'SELECT repeat%' AND state = 'active'",
        );
        return rows[0].n === 0;
      },
      20_000,
      'the upstream statement to end',
    );
    await direct.end();
    const events = await gateway.audit();
    const start = events.find(
      (e) => e.type === 'session.start' && e.body.clientApplication === 'never-reads',
    )!;
    const end = await until(async () =>
      (await gateway.audit()).find((e) => e.type === 'session.end' && e.session === start.session),
    );
    // Unread data makes the client's close a reset, which the gateway sees as a client error.
    expect(['client-closed', 'client-error']).toContain(end.body.reason);
  });

  it('over HTTP: the response waits for the client, memory stays bounded', async () => {
    const before = await workersRss();
    const { http } = gateway.ready;
    const req = httpsRequest({
      host: http!.host,
      port: http!.port,
      path: '/api/big',
      headers: { authorization: `Bearer ${token}` },
      rejectUnauthorized: false,
    });
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
    expect(res.statusCode).toBe(200);
    res.pause();
    await new Promise((r) => setTimeout(r, 3000));
    const after = await workersRss();
    for (const [i, mb] of after.entries()) expect(mb - (before[i] ?? mb)).toBeLessThan(96);
    expect(bigBodyServed.bytes).toBeLessThan(BIG_BODY_BYTES);
    expect(await slowestRoundTrip(5)).toBeLessThan(1500);
    res.destroy();
  });
});

describe('a flood of bad logins from one address', () => {
  it('is refused without checking credentials once over the limit, on every protocol, is audited, and good logins from elsewhere still pass', async () => {
    const bad = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJub2JvZHkifQ.c2lnbmF0dXJl';
    const attempt = (password: string) =>
      floodClient(password).then(
        (c) => {
          void c.end();
          return 'in';
        },
        (err: { code?: string; message: string }) => `${err.code}:${err.message}`,
      );
    // Up to the limit, each bad token is checked and refused as such.
    for (let i = 0; i < MAX_FAILURES; i++)
      expect(await attempt(bad)).toMatch(/^28P01:Warden could not verify your token: /);
    // The primary counts for every worker; once its block has reached them, the address is
    // refused before its credential is looked at — a burst of 30 at once included.
    await until(async () => (await attempt(bad)).startsWith('28000:'), 5000, 'the block to apply');
    const burst = await Promise.all(Array.from({ length: 30 }, () => attempt(bad)));
    for (const b of burst)
      expect(b).toMatch(
        /^28000:Warden refused this login: too many failed logins from your address; try again in \d+ s$/,
      );

    // A good login from elsewhere passes at once; from the blocked address it waits for the block.
    const good = await connect('good-login');
    expect((await good.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await good.end();
    await expect(floodClient(token)).rejects.toMatchObject({ code: '28000' });

    // The block covers the source on every protocol: SSH, HTTP and Kubernetes refuse it too, and a
    // good login to the cluster from elsewhere passes.
    await expect(sshLogin(FLOOD_SOURCE, token)).rejects.toThrow(/authentication methods failed/);
    expect(await httpStatus(FLOOD_SOURCE, token)).toBe(429);
    expect(await httpStatus(FLOOD_SOURCE, token, 'kubernetes')).toBe(429);
    expect(await httpStatus('127.0.0.1', token, 'kubernetes')).toBe(200);

    // The audit log: the block once, each refused attempt with its reason.
    const events = await gateway.audit();
    const blocks = events.filter((e) => e.type === 'login.throttled');
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!).toMatchObject({
      chain: '',
      body: { source: FLOOD_SOURCE, maxFailures: MAX_FAILURES },
    });
    const reasons = events.filter((e) => e.type === 'session.refused').map((e) => e.body.reason);
    expect(reasons.filter((r) => r === 'bad-token').length).toBeGreaterThanOrEqual(MAX_FAILURES);
    expect(reasons.filter((r) => r === 'login-throttled').length).toBeGreaterThanOrEqual(30 + 2);
    expect(events.some((e) => e.type === 'request.refused' && e.body.reason === 'ERR_LOGIN_THROTTLED')).toBe(
      true,
    );

    // Once the block is over, a good login from that address passes again.
    await new Promise((r) => setTimeout(r, BLOCK_SEC * 1000));
    const back = await floodClient(token);
    expect((await back.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await back.end();
  });
});

describe('an upstream that drops a kept-alive connection as the gateway reuses it', () => {
  it('gets an idempotent request sent again on a new connection; any other request gets a 502', async () => {
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
    const call = (method: string, path: string) =>
      new Promise<number>((resolve, reject) => {
        const { http } = gateway.ready;
        const req = httpsRequest({
          host: http!.host,
          port: http!.port,
          method,
          path,
          agent,
          headers: { authorization: `Bearer ${token}` },
        });
        req.on('response', (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(method === 'POST' ? '{}' : undefined);
      });
    try {
      // One client connection, so one worker; its upstream connection is kept alive for the next.
      expect(await call('GET', '/api/small')).toBe(200);
      const resetsBefore = upstreamResets.count;
      expect(await call('GET', '/api/drop-if-reused')).toBe(200);
      expect(upstreamResets.count).toBeGreaterThan(resetsBefore);
      // A POST may have reached the upstream's application: it is not sent twice.
      expect(await call('POST', '/api/drop-if-reused')).toBe(502);
      // A result is written with the next batch: wait for it.
      const refusedPost = await until(
        async () => {
          const found = (await gateway.audit()).filter(
            (e) => e.type === 'request.result' && e.body.error === 'ECONNRESET',
          );
          return found.length > 0 && found;
        },
        5000,
        'the failed POST in the audit log',
      );
      expect(refusedPost).toHaveLength(1);
    } finally {
      agent.destroy();
    }
  });
});

/** A node-postgres client whose connection comes from FLOOD_SOURCE. */
async function floodClient(password: string): Promise<Client> {
  const { postgres } = gateway.ready;
  const client = new Client({
    host: postgres!.host,
    port: postgres!.port,
    database: 'app',
    user: 'flood',
    password,
    ssl: { rejectUnauthorized: false },
    stream: () => {
      const socket = new Socket();
      const connectTo = socket.connect.bind(socket) as (o: object) => Socket;
      (socket as unknown as { connect(port: number, host: string): Socket }).connect = (port, host) =>
        connectTo({ port, host, localAddress: FLOOD_SOURCE });
      return socket;
    },
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

function sshLogin(localAddress: string, password: string): Promise<void> {
  const { ssh } = gateway.ready;
  return new Promise((resolve, reject) => {
    const c = new SshClient();
    c.on('ready', () => {
      c.end();
      resolve();
    });
    c.on('error', reject);
    c.connect({
      host: ssh!.host,
      port: ssh!.port,
      username: 'app',
      password,
      localAddress,
      readyTimeout: 10_000,
    });
  });
}

function httpStatus(
  localAddress: string,
  bearer: string,
  listener: 'http' | 'kubernetes' = 'http',
): Promise<number> {
  const address = listener === 'http' ? gateway.ready.http! : gateway.ready.kubernetes!;
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: address.host,
      port: address.port,
      path: listener === 'http' ? '/api/small' : '/cluster/api/v1/namespaces/default/pods',
      localAddress,
      headers: { authorization: `Bearer ${bearer}` },
      rejectUnauthorized: false,
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A StartupMessage (protocol 3.0) for the `app` database, as a slow client would send it. */
function startupBytes(): Buffer {
  const params = Buffer.from('user\0slow\0database\0app\0\0');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, params]);
}

/**
 * Sends `bytes` one every 300 ms (after the first `atOnce` at once) and reports how long the
 * gateway kept the connection and what it answered.
 */
function dribble(socket: Socket, bytes: Buffer, atOnce = 0): { closed: Promise<number>; received(): string } {
  const opened = performance.now();
  let got = '';
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) return;
    if (i === 0 && atOnce > 0) {
      socket.write(bytes.subarray(0, atOnce));
      i = atOnce;
    } else if (i < bytes.length) socket.write(bytes.subarray(i, ++i));
  }, 300);
  socket.on('data', (d) => {
    got += d.toString('latin1');
  });
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve(performance.now() - opened);
    }),
  );
  return { closed, received: () => got };
}

const BIG_BODY_BYTES = 512 * 1024 * 1024;
const bigBodyServed = { bytes: 0 };
/** Connections /drop-if-reused reset: a second request on a kept-alive connection is answered with a reset. */
const upstreamResets = { count: 0 };
const requestsOnSocket = new WeakMap<object, number>();

/**
 * An upstream API with a small answer and a 512 MiB one, written only as fast as it is read, and
 * one that resets the connection when it is not the first request on it.
 */
async function bigBodyApi(): Promise<Server> {
  const server = createHttpServer((req, res) => {
    const nth = (requestsOnSocket.get(req.socket) ?? 0) + 1;
    requestsOnSocket.set(req.socket, nth);
    if (req.url === '/drop-if-reused' && nth > 1) {
      upstreamResets.count++;
      return void req.socket.resetAndDestroy();
    }
    if (req.url !== '/big') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"ok":true}');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.from(`"${'x'.repeat(64 * 1024 - 3)}",`);
    res.write('[');
    const pump = () => {
      while (bigBodyServed.bytes < BIG_BODY_BYTES) {
        bigBodyServed.bytes += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end('""]');
    };
    res.on('close', () => undefined);
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}
