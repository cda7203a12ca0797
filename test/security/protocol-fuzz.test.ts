/**
 * Each protocol frontend fuzzed for a bounded time against `warden gateway` with two workers and
 * real upstreams that record what reaches them (fuzz/recording-upstreams.ts): Postgres startup
 * packets and messages after a real login, SSH channel and global requests after a real login (and
 * noise before one), HTTP requests. After each run: no worker died or was restarted, a good client
 * is still served, and nothing malformed reached the upstream — every message the Postgres
 * upstream got reads cleanly and its SQL parses, every exec the SSH upstream ran was inspected and
 * allowed, nothing else was asked of it, and the HTTP upstream's own parser rejected nothing and
 * got only requests the gateway audited and allowed. Seeded: the seed is printed, FUZZ_SEED
 * replays it; FUZZ_MS sets the time per protocol (default 4000).
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { serialize } from 'pg-protocol';
import { Client as SshClient } from 'ssh2';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { keygen, publicKeyLine } from '../../gateway-image/src/sandbox/ssh-host';
import { type FaultGateway, gatewayClient, startFaultGateway } from '../faults/support';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { fuzzSeed, mutate, Prng, randomBytes } from './fuzz/mutate';
import {
  type HttpRecording,
  type PgRecording,
  type SshRecording,
  startHttpRecorder,
  startPgRecorder,
  startSshRecorder,
} from './fuzz/recording-upstreams';

const AUDIENCE = 'urn:warden:protocol-fuzz';
const FUZZ_MS = Number(process.env.FUZZ_MS ?? 4000);
/** How long one case waits for the gateway's answer before moving on. */
const CASE_MS = 300;
const CONCURRENCY = 4;
jest.setTimeout(60_000 + 3 * FUZZ_MS);

let dir: string;
let db: TestDatabase;
let issuer: LocalIssuer;
let pgUpstream: PgRecording;
let sshUpstream: SshRecording;
let httpUpstream: HttpRecording;
let gateway: FaultGateway;
let token: string;
let workersAtStart: number[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-protocol-fuzz-'));
  [db, issuer] = await Promise.all([
    createTestDatabase('protocol_fuzz'),
    startLocalIssuer({
      audience: AUDIENCE,
      agents: [{ clientId: 'fuzzer', clientSecret: 'fuzzer-secret', groups: ['agents'] }],
    }),
  ]);
  const hostKeyFile = keygen(dir, 'upstream_host_ed25519');
  const clientKeyFile = keygen(dir, 'gateway_client_ed25519');
  [pgUpstream, sshUpstream, httpUpstream] = await Promise.all([
    startPgRecorder(db.connection),
    startSshRecorder(readFileSync(hostKeyFile, 'utf8'), publicKeyLine(`${hostKeyFile}.pub`)),
    startHttpRecorder(),
  ]);
  const gatewayHostKey = generateKeyPairSync('ec', {
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
        postgres: { host: '127.0.0.1', port: 0, tls: f.tls },
        ssh: { host: '127.0.0.1', port: 0, hostKey: 'env:FUZZ_SSH_HOST_KEY' },
        http: { host: '127.0.0.1', port: 0, tls: f.tls },
        admin: { host: '127.0.0.1', port: 0 },
      },
      identity: {
        issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }],
        // Fuzzed logins fail by the thousand from one address; the good client must still pass.
        loginThrottle: { maxFailures: 1_000_000 },
        sessionTokens: { signingKey: f.ref('session.key') },
      },
      connections: [
        {
          name: 'app',
          kind: 'postgres',
          upstream: {
            host: '127.0.0.1',
            port: pgUpstream.port,
            database: db.name,
            user: db.connection.user,
            password: 'env:FUZZ_PG_PASSWORD',
            tls: { mode: 'disable' },
          },
        },
        {
          name: 'lab',
          kind: 'ssh',
          phi: false,
          upstream: {
            host: '127.0.0.1',
            port: sshUpstream.port,
            user: 'fuzz',
            privateKey: `file:${clientKeyFile}`,
            hostKey: sshUpstream.hostKey,
          },
        },
        {
          name: 'api',
          kind: 'http',
          phi: false,
          upstream: { url: `http://127.0.0.1:${httpUpstream.port}`, credential: { type: 'none' } },
        },
      ],
      access: {
        grants: [{ name: 'fuzzers', connections: ['app', 'lab', 'api'], principals: { groups: ['agents'] } }],
      },
      policy: {
        rules: [
          { name: 'no-rm', decision: 'deny', reason: 'no rm', ssh: { programs: ['rm'] } },
          { name: 'no-drop', decision: 'deny', reason: 'no DDL', sql: { kinds: ['ddl'] } },
          { name: 'no-deletes', decision: 'deny', reason: 'no DELETE', http: { methods: ['DELETE'] } },
          { name: 'allow-rest', decision: 'allow' },
        ],
      },
      audit: { dir: join(dir, 'audit'), signingKey: f.ref('audit.key') },
    }),
    { FUZZ_PG_PASSWORD: db.connection.password, FUZZ_SSH_HOST_KEY: gatewayHostKey },
  );
  token = await issuer.agentToken('fuzzer');
  workersAtStart = await gateway.workers();
}, 90_000);

afterAll(async () => {
  if (process.env.FUZZ_DEBUG) console.log(gateway?.log.join('\n'));
  await gateway?.stop();
  await Promise.all([pgUpstream?.close(), sshUpstream?.close(), httpUpstream?.close()]);
  await Promise.all([issuer?.close(), db?.drop()]);
  await rm(dir, { recursive: true, force: true });
});

/** The same workers as at the start (none died, none restarted), and a good client served. */
async function expectGatewayUnharmed(): Promise<void> {
  expect(await gateway.workers()).toEqual(workersAtStart);
  expect(gateway.child.exitCode).toBeNull();
  const good = await gatewayClient(gateway.ready, 'app', token, {
    user: 'fuzz',
    application_name: 'after-fuzz',
  });
  expect((await good.query('SELECT 41 + 1 AS answer')).rows).toEqual([{ answer: 42 }]);
  await good.end();
  expect(gateway.log.filter((l) => /worker exited|uncaught|unhandled/i.test(l))).toEqual([]);
}

/** Runs `oneCase` from CONCURRENCY lanes until FUZZ_MS has passed; returns the number of cases. */
async function fuzzFor(seed: number, oneCase: (rng: Prng) => Promise<void>): Promise<number> {
  const until = Date.now() + FUZZ_MS;
  let cases = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, lane) => {
      const rng = new Prng(seed + lane);
      while (Date.now() < until) {
        await oneCase(rng);
        cases++;
      }
    }),
  );
  return cases;
}

describe('the Postgres frontend under fuzzed input', () => {
  it('ends a session that sends a message out of place (a password after login) with 08P01, and its worker lives on', async () => {
    // Found by this fuzz run: the gateway threw from the socket's data handler and lost the worker.
    const session = await loggedIn(gateway.ready.postgres!, token);
    const inbox = messagesOf(session);
    session.write(serialize.password('again'));
    const answer = await inbox.until((t) => t === 'E', 10_000);
    expect(answer?.body.toString('latin1')).toContain('C08P01');
    await new Promise<void>((r) => (session.destroyed ? r() : session.once('close', () => r())));
    await expectGatewayUnharmed();
  });

  it('survives fuzzed startup packets and messages, and forwards nothing malformed', async () => {
    const seed = fuzzSeed('postgres');
    const connectionsBefore = pgUpstream.connections;
    const { postgres } = gateway.ready;

    // Startup packets, in the clear and inside TLS: nobody logs in, so nothing reaches the upstream.
    const startups = await fuzzFor(seed, async (rng) => {
      const inTls = rng.chance(0.5);
      const socket = inTls ? await tlsAfterSslRequest(postgres!) : await plainSocket(postgres!);
      if (!socket || typeof socket === 'string') return;
      const base = rng.pick(STARTUP_CORPUS);
      const bytes = rng.chance(0.1) ? randomBytes(rng, 64) : mutate(rng, base, [0, 4]);
      await exchange(socket, bytes);
    });
    expect(pgUpstream.connections).toBe(connectionsBefore);

    // After a real login: fuzzed messages, then Sync and a query to see what state it is in.
    const messages = await fuzzFor(seed + 100, async (rng) => {
      const session = await loggedIn(postgres!, token);
      const count = rng.int(1, 4);
      const parts: Buffer[] = [];
      for (let i = 0; i < count; i++) {
        const [message, lengthAt] = rng.pick(MESSAGE_CORPUS);
        parts.push(rng.chance(0.15) ? message : mutate(rng, message, lengthAt));
      }
      parts.push(serialize.sync(), serialize.query('SELECT 1'));
      await exchange(session, Buffer.concat(parts));
    });
    process.stdout.write(`postgres fuzz: ${startups} startup cases, ${messages} message cases\n`);

    expect(pgUpstream.violations).toEqual([]);
    // The upstream did see the fuzz: the placeholder checks above ran on real traffic.
    expect(pgUpstream.types.get('Q') ?? 0).toBeGreaterThan(0);
    await expectGatewayUnharmed();
  });
});

describe('the SSH frontend under fuzzed input', () => {
  it('survives fuzzed channel and global requests, and asks the upstream only what it inspected and allowed', async () => {
    const seed = fuzzSeed('ssh');
    const requestsBefore = sshUpstream.requests.length;
    const auditBefore = (await gateway.audit()).length;
    const { ssh } = gateway.ready;

    // Noise where the SSH transport expects a version line and key exchange.
    const noise = await fuzzFor(seed, async (rng) => {
      const socket = await plainSocket(ssh!);
      if (!socket) return;
      const banner = rng.chance(0.5) ? Buffer.from('SSH-2.0-fuzz\r\n') : Buffer.alloc(0);
      await exchange(socket, Buffer.concat([mutate(rng, banner), randomBytes(rng, 256)]));
    });

    // After a real login, on a session channel: fuzzed requests of every kind.
    const sessions = await fuzzFor(seed + 100, async (rng) => {
      const client = await sshLogin(ssh!, token);
      try {
        await fuzzChannel(rng, client);
      } finally {
        client.end();
      }
    });
    process.stdout.write(`ssh fuzz: ${noise} noise cases, ${sessions} sessions\n`);

    // What reached the upstream: execs the gateway inspected and allowed, pty and window changes
    // and signals for them, nothing else (no env, forwarding, agent or global requests).
    await new Promise((r) => setTimeout(r, 500));
    const received = sshUpstream.requests.slice(requestsBefore);
    const attempts = (await gateway.audit()).slice(auditBefore).filter((e) => e.type === 'command.attempt');
    const lines = (outcome: string) =>
      attempts
        .filter((e) => e.body.decision?.outcome === outcome)
        .map((e) => e.body.facts?.commandLine as string);
    const allowed = lines('allow');
    const denied = lines('deny');
    const execs = received.filter((r) => r.startsWith('exec ')).map((r) => r.slice(5));
    expect(execs.length).toBeGreaterThan(0);
    for (const command of execs) expect(allowed).toContain(command);
    // The policy did refuse some (rm as a program, lines it could not inspect), and none ran.
    expect(denied.length).toBeGreaterThan(0);
    for (const command of denied) expect(execs).not.toContain(command);
    const others = received.filter((r) => !r.startsWith('exec '));
    for (const r of others)
      expect(['pty', 'window-change', 'signal', 'shell', 'subsystem', 'sftp']).toContain(r);
    await expectGatewayUnharmed();
  });
});

describe('the HTTP frontend under fuzzed input', () => {
  it('survives fuzzed requests, and forwards only well-formed requests it audited and allowed', async () => {
    const seed = fuzzSeed('http');
    const { http } = gateway.ready;
    const upstreamBefore = httpUpstream.requests.length;
    const auditBefore = (await gateway.audit()).length;
    // The corpus as written first: some of it is well-formed and allowed, so the checks of what
    // reached the upstream never pass on nothing, whatever the seed mutates.
    for (const base of httpCorpus(token)) {
      const socket = await tlsSocket(http!);
      if (socket) await exchange(socket, base, 600);
    }
    const cases = await fuzzFor(seed, async (rng) => {
      const socket = await tlsSocket(http!);
      if (!socket) return;
      const base = rng.pick(httpCorpus(token));
      await exchange(socket, rng.chance(0.1) ? randomBytes(rng, 256) : mutate(rng, base), 600);
    });
    process.stdout.write(`http fuzz: ${cases} cases\n`);
    await new Promise((r) => setTimeout(r, 500));

    // The upstream's own strict parser never had to reject anything the gateway sent.
    expect(httpUpstream.rejected.filter((code) => code.startsWith('HPE_'))).toEqual([]);
    const received = httpUpstream.requests.slice(upstreamBefore);
    expect(received.length).toBeGreaterThan(0);
    for (const r of received) {
      expect(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'OPTIONS']).toContain(r.method);
      expect(r.url.startsWith('/')).toBe(true);
      expect(r.headers.authorization).toBeUndefined();
      expect(Number(r.headers['content-length'] ?? 0)).toBe(r.body);
    }
    // Nothing smuggled: each request the upstream got is one the gateway inspected, audited and
    // allowed first, with the same method and path.
    const allowed = (await gateway.audit())
      .slice(auditBefore)
      .filter((e) => e.type === 'request.attempt' && e.body.decision?.outcome === 'allow')
      .map((e) => `${e.body.facts.method} ${e.body.facts.path}`);
    for (const r of received) {
      const key = `${r.method} ${r.url.split('?')[0]}`;
      const at = allowed.indexOf(key);
      expect({ forwarded: key, audited: at >= 0 }).toEqual({ forwarded: key, audited: true });
      allowed.splice(at, 1);
    }
    await expectGatewayUnharmed();
  });
});

// ---- Postgres ----

const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const packet = (code: number, body = Buffer.alloc(0)) =>
  Buffer.concat([int32(8 + body.length), int32(code), body]);

const STARTUP_CORPUS: readonly Buffer[] = [
  serialize.startup({ user: 'fuzz', database: 'app', application_name: 'fuzz' }),
  serialize.startup({ user: 'fuzz', database: 'app', options: '-c search_path=x', replication: 'database' }),
  packet(80877103),
  packet(80877104),
  packet(80877102, Buffer.concat([int32(1234), int32(5678)])),
  packet(0x00020000, Buffer.from('user\0fuzz\0\0')),
  packet(0x00030001, Buffer.from('user\0fuzz\0database\0app\0_pq_.x\0y\0\0')),
  packet(196608, Buffer.from('user\0fuzz\0database\0')),
];

/** Valid frontend messages and the offsets of their length fields. */
const MESSAGE_CORPUS: readonly (readonly [Buffer, readonly number[]])[] = [
  [serialize.query('SELECT 1'), [1]],
  [serialize.query("SELECT 'a' || $$b$$, 2::int8 -- c\n"), [1]],
  [serialize.query('BEGIN; SELECT 1; COMMIT'), [1]],
  [serialize.query('DROP TABLE IF EXISTS nothing_here'), [1]],
  [serialize.parse({ name: 's1', text: 'SELECT $1::text, $2::int', types: [25, 23] }), [1]],
  [serialize.parse({ name: '', text: 'SELECT 1' }), [1]],
  [serialize.bind({ portal: '', statement: 's1', values: ['x', '2'] }), [1]],
  [serialize.bind({ statement: '', values: [null, Buffer.from([1, 2])], binary: true }), [1]],
  [serialize.describe({ type: 'S', name: 's1' }), [1]],
  [serialize.describe({ type: 'P', name: '' }), [1]],
  [serialize.execute({ portal: '', rows: 5 }), [1]],
  [serialize.close({ type: 'S', name: 's1' }), [1]],
  [serialize.flush(), [1]],
  [serialize.sync(), [1]],
  [serialize.copyData(Buffer.from('1\tx\n')), [1]],
  [serialize.copyDone(), [1]],
  [serialize.copyFail('stop'), [1]],
  [Buffer.concat([Buffer.from('F'), int32(18), int32(1598), int16(0), int16(1), int32(-1), int16(0)]), [1]],
  [serialize.password('not-now'), [1]],
];

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

async function plainSocket(at: { host: string; port: number }): Promise<Socket | undefined> {
  const socket = tcpConnect(at.port, at.host);
  socket.on('error', () => undefined);
  const ok = await new Promise<boolean>((r) => {
    socket.once('connect', () => r(true));
    socket.once('close', () => r(false));
  });
  return ok ? socket : undefined;
}

async function tlsSocket(at: { host: string; port: number }): Promise<TLSSocket | undefined> {
  const socket = tlsConnect({ host: at.host, port: at.port, rejectUnauthorized: false });
  socket.on('error', () => undefined);
  const ok = await new Promise<boolean>((r) => {
    socket.once('secureConnect', () => r(true));
    socket.once('close', () => r(false));
  });
  return ok ? socket : undefined;
}

/** SSLRequest, 'S', then TLS over the same connection; undefined (and why) when refused. */
async function tlsAfterSslRequest(at: { host: string; port: number }): Promise<TLSSocket | string> {
  const socket = await plainSocket(at);
  if (!socket) return 'connection closed before it opened';
  socket.write(packet(80877103));
  const answer = await firstBytes(socket, 1, 10_000);
  if (answer?.toString() !== 'S') {
    socket.destroy();
    return `SSLRequest answered ${JSON.stringify(answer?.toString('latin1'))}`;
  }
  const secure = tlsConnect({ socket, rejectUnauthorized: false });
  let failure = 'closed during the TLS handshake';
  secure.on('error', (err) => {
    failure = `TLS: ${err.message}`;
  });
  const ok = await new Promise<boolean>((r) => {
    secure.once('secureConnect', () => r(true));
    secure.once('close', () => r(false));
  });
  return ok ? secure : failure;
}

/** A session logged in with `password` and ready for queries; throws saying which step failed. */
async function loggedIn(at: { host: string; port: number }, password: string): Promise<TLSSocket> {
  const socket = await tlsAfterSslRequest(at);
  if (typeof socket === 'string') throw new Error(`login: ${socket}`);
  socket.write(serialize.startup({ user: 'fuzz', database: 'app', application_name: 'fuzz' }));
  const inbox = messagesOf(socket);
  const auth = await inbox.until((t) => t === 'R' || t === 'E', 10_000);
  if (auth?.type !== 'R' || auth.body.readInt32BE(0) !== 3) {
    socket.destroy();
    throw new Error(
      `login: asked no password but ${auth ? `${auth.type} ${auth.body.toString('latin1')}` : 'nothing'}`,
    );
  }
  socket.write(serialize.password(password));
  const ready = await inbox.until((t) => t === 'Z' || t === 'E', 10_000);
  inbox.stop();
  if (ready?.type !== 'Z') {
    socket.destroy();
    throw new Error(
      `login: not ready but ${ready ? `${ready.type} ${ready.body.toString('latin1')}` : 'nothing'}`,
    );
  }
  return socket;
}

function messagesOf(socket: Socket) {
  let buffer = Buffer.alloc(0);
  const waiting: ((m: { type: string; body: Buffer } | undefined) => void)[] = [];
  const queue: { type: string; body: Buffer }[] = [];
  const onData = (d: Buffer) => {
    buffer = Buffer.concat([buffer, d]);
    while (buffer.length >= 5 && buffer.length >= 1 + buffer.readInt32BE(1)) {
      const len = buffer.readInt32BE(1);
      queue.push({ type: String.fromCharCode(buffer[0]!), body: buffer.subarray(5, 1 + len) });
      buffer = buffer.subarray(1 + len);
    }
    for (const w of waiting.splice(0)) w(undefined);
  };
  socket.on('data', onData);
  socket.once('close', () => {
    for (const w of waiting.splice(0)) w(undefined);
  });
  return {
    async until(pred: (type: string, body: Buffer) => boolean, ms: number) {
      const end = Date.now() + ms;
      for (;;) {
        const m = queue.shift();
        if (m && pred(m.type, m.body)) return m;
        if (m) continue;
        if (socket.destroyed || Date.now() > end) return undefined;
        await new Promise<unknown>((r) => {
          waiting.push(r);
          setTimeout(r, Math.max(1, end - Date.now()));
        });
      }
    },
    stop: () => socket.off('data', onData),
  };
}

function firstBytes(socket: Socket, n: number, ms: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    socket.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(d.subarray(0, n));
    });
    socket.once('close', () => resolve(undefined));
  });
}

/** Writes `bytes`, collects what comes back for up to `ms` (or until closed), then closes. */
async function exchange(socket: Socket, bytes: Buffer, ms = CASE_MS): Promise<Buffer> {
  const got: Buffer[] = [];
  socket.on('data', (d: Buffer) => got.push(d));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.write(bytes, () => undefined);
  });
  socket.destroy();
  return Buffer.concat(got);
}

// ---- SSH ----

function sshLogin(at: { host: string; port: number }, password: string): Promise<SshClient> {
  return new Promise((resolve, reject) => {
    const c = new SshClient();
    c.once('ready', () => resolve(c));
    c.once('error', reject);
    c.connect({ host: at.host, port: at.port, username: 'lab', password, readyTimeout: 10_000 });
  });
}

const COMMANDS = [
  'ls -l',
  'cat notes.txt',
  'rm -rf /tmp/x',
  'echo hi; rm x',
  'grep -c a b',
  '$(rm x)',
  'ls "a b"',
];

/**
 * Sends one raw SSH packet through ssh2's own packet writer (encrypted with the session's keys):
 * ssh2 keeps that writer internal, and the fuzz needs to say things its API never would.
 */
function sendRaw(client: SshClient, payload: Buffer): void {
  // biome-ignore lint/suspicious/noExplicitAny: ssh2's protocol object is internal and untyped
  const proto = (client as any)._protocol;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const { sendPacket } = require('ssh2/lib/protocol/utils') as { sendPacket: (p: any, b: Buffer) => void };
  const start = proto._packetRW.write.allocStart as number;
  const packet: Buffer = proto._packetRW.write.alloc(payload.length);
  payload.copy(packet, start);
  sendPacket(proto, proto._packetRW.write.finalize(packet));
}

/** SSH_MSG_CHANNEL_REQUEST (98) on an open channel: any type name, any payload. */
function channelRequest(
  client: SshClient,
  channel: number,
  type: Buffer,
  wantReply: boolean,
  payload: Buffer,
) {
  sendRaw(
    client,
    Buffer.concat([
      Buffer.from([98]),
      int32(channel),
      sshString(type),
      Buffer.from([wantReply ? 1 : 0]),
      payload,
    ]),
  );
}

/** SSH_MSG_GLOBAL_REQUEST (80), wanting a reply. */
function globalRequest(client: SshClient, name: Buffer, payload: Buffer) {
  sendRaw(client, Buffer.concat([Buffer.from([80]), sshString(name), Buffer.from([1]), payload]));
}

const sshString = (s: Buffer | string) => {
  const b = Buffer.from(s);
  return Buffer.concat([int32(b.length), b]);
};

/** Payloads of the request types RFC 4254 defines (and a few it does not), valid before mutation. */
function requestPayload(rng: Prng): [string, Buffer] {
  const uint = () => int32(rng.int(0, 1 << 16));
  switch (rng.int(0, 9)) {
    case 0:
      return ['exec', sshString(rng.pick(COMMANDS))];
    case 1:
      return ['env', Buffer.concat([sshString('LD_PRELOAD'), sshString('/tmp/x.so')])];
    case 2:
      return [
        'pty-req',
        Buffer.concat([
          sshString('xterm'),
          uint(),
          uint(),
          uint(),
          uint(),
          sshString(Buffer.from([1, 0, 0, 0, 3, 0])),
        ]),
      ];
    case 3:
      return ['window-change', Buffer.concat([uint(), uint(), uint(), uint()])];
    case 4:
      return ['signal', sshString(rng.pick(['INT', 'KILL', 'TERM', '']))];
    case 5:
      return ['subsystem', sshString(rng.pick(['sftp', 'netconf', '']))];
    case 6:
      return [
        'x11-req',
        Buffer.concat([Buffer.from([0]), sshString('MIT-MAGIC-COOKIE-1'), sshString('00'), int32(0)]),
      ];
    case 7:
      return ['auth-agent-req@openssh.com', Buffer.alloc(0)];
    case 8:
      return ['shell', Buffer.alloc(0)];
    default:
      return [String.fromCharCode(...randomBytes(rng, 12)), randomBytes(rng, 32)];
  }
}

/** One session channel opened with a (fuzzed) exec, then more fuzzed requests on it. */
async function fuzzChannel(rng: Prng, client: SshClient): Promise<void> {
  client.on('error', () => undefined);
  if (rng.chance(0.2))
    globalRequest(
      client,
      Buffer.from(rng.pick(['tcpip-forward', 'keepalive@x', 'no-more-sessions@openssh.com'])),
      randomBytes(rng, 16),
    );
  const first = rng.pick(COMMANDS);
  const stream = await new Promise<import('ssh2').ClientChannel | undefined>((resolve) => {
    client.exec(rng.chance(0.5) ? first : mutate(rng, Buffer.from(first)).toString('latin1'), (err, ch) =>
      resolve(err ? undefined : ch),
    );
  });
  if (!stream) return;
  stream.on('error', () => undefined);
  stream.resume();
  stream.stderr.resume();
  const remote = (stream as unknown as { outgoing: { id: number } }).outgoing.id;
  for (let i = rng.int(1, 5); i > 0 && !stream.destroyed; i--) {
    const [type, payload] = requestPayload(rng);
    channelRequest(
      client,
      remote,
      Buffer.from(type, 'latin1'),
      rng.chance(0.5),
      rng.chance(0.6) ? mutate(rng, payload, [0]) : payload,
    );
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, CASE_MS);
    stream.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// ---- HTTP ----

function httpCorpus(bearer: string): Buffer[] {
  const auth = `Authorization: Bearer ${bearer}\r\n`;
  return [
    `GET /api/items?x=1 HTTP/1.1\r\nHost: gw\r\n${auth}\r\n`,
    `POST /api/items HTTP/1.1\r\nHost: gw\r\n${auth}Content-Type: application/json\r\nContent-Length: 11\r\n\r\n{"a":"b c"}`,
    `POST /api/items HTTP/1.1\r\nHost: gw\r\n${auth}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    `POST /api/items HTTP/1.1\r\nHost: gw\r\n${auth}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api/smuggled HTTP/1.1\r\nHost: gw\r\n\r\n`,
    `GET /api/a HTTP/1.1\r\nHost: gw\r\n${auth}\r\nGET /api/b HTTP/1.1\r\nHost: gw\r\n${auth}Connection: close\r\n\r\n`,
    `GET /api/../admin HTTP/1.1\r\nHost: gw\r\n${auth}\r\n`,
    `GET http://elsewhere.example/api/x HTTP/1.1\r\nHost: gw\r\n${auth}\r\n`,
    `DELETE /api/items/1 HTTP/1.1\r\nHost: gw\r\n${auth}\r\n`,
    `PUT /api/items/1 HTTP/1.1\r\nHost: gw\r\n${auth}X-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\n{}`,
    `GET /api/%2e%2e/%00 HTTP/1.0\r\n${auth}\r\n`,
  ].map((s) => Buffer.from(s));
}
