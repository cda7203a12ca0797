/**
 * Session recordings copied to write-once storage: a real gateway (services and listeners as
 * startGateway wires them) serving real Postgres and SSH sessions, with `audit.sinks` pointing at
 * the fake S3 — the one thing faked, at its HTTP boundary. A recording lands in the bucket, under
 * Object Lock and byte for byte, once its session ends and not before; a sink that fails at first
 * gets it later, audited; a recording finished while the gateway was stopped is copied when it
 * starts again.
 */

import { randomUUID } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { AUDIT_CHANNEL, type AuditObservation } from '../../gateway-image/src/audit/observe';
import { validateConfig } from '../../gateway-image/src/config/load';
import type { WardenConfig } from '../../gateway-image/src/config/schema';
import { type ListenerAddress, startPostgres, startSsh } from '../../gateway-image/src/gateway/listeners';
import { SHIPPED_RECORDINGS } from '../../gateway-image/src/gateway/recording-sinks';
import { createGatewayServices } from '../../gateway-image/src/gateway/services';
import { createLogger } from '../../gateway-image/src/logging/logger';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import {
  keygen,
  type OpenSshServer,
  publicKeyLine,
  startSandboxSshHost,
} from '../../gateway-image/src/sandbox/ssh-host';
import { gatewayClient, until } from '../faults/support';
import { FakeAws, STATIC_KEYS } from '../runtime/aws/fake-aws';
import { readAuditLines } from '../support/audit-lines';
import { postgresConnection, sshConnection, writeGatewayFiles } from '../support/gateway-stack';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { runOpenSsh } from '../support/ssh-client';

jest.setTimeout(30_000);

const AUDIENCE = 'urn:warden:recording-copies';
const PREFIX = 'warden-audit/audit/';
const HOST = hostname().replace(/[^A-Za-z0-9._-]/g, '_');

interface AuditLine {
  readonly type: string;
  readonly body: Record<string, unknown>;
}

interface Gateway {
  readonly postgres: ListenerAddress;
  readonly ssh: ListenerAddress;
  close(): Promise<void>;
}

let dir: string;
let recordings: string;
let db: TestDatabase;
let issuer: LocalIssuer;
let sshHost: OpenSshServer;
let aws: FakeAws;
let config: WardenConfig;
let gateway: Gateway;
let token: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-recording-copies-'));
  recordings = join(dir, 'recordings');
  [db, issuer, sshHost, aws] = await Promise.all([
    createTestDatabase('recording_copies'),
    startLocalIssuer({
      audience: AUDIENCE,
      agents: [{ clientId: 'bot', clientSecret: 'bot-secret', groups: ['agents'] }],
    }),
    startSandboxSshHost({ patients: 20, seed: 1 }),
    new FakeAws().start(),
  ]);
  Object.assign(process.env, {
    RECORDING_COPIES_PG_PASSWORD: db.connection.password,
    AWS_ENDPOINT_URL_S3: aws.url,
    AWS_ACCESS_KEY_ID: STATIC_KEYS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: STATIC_KEYS.secretAccessKey,
    AWS_REGION: 'us-east-1',
  });
  const gatewayKey = keygen(dir, 'gateway_ed25519');
  const keys = await writeGatewayFiles(dir, {
    commonName: 'warden-test',
    altNames: ['IP:127.0.0.1'],
    extra: { 'lab.key': sshHost.clientPrivateKey },
  });
  config = validateConfig({
    version: 1,
    workers: 1,
    listeners: {
      postgres: { host: '127.0.0.1', port: 0, tls: keys.tls },
      ssh: { host: '127.0.0.1', port: 0, hostKey: keys.ref('gateway_ed25519') },
    },
    identity: { issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }] },
    connections: [
      postgresConnection('app', db, 'RECORDING_COPIES_PG_PASSWORD'),
      sshConnection('lab-host', sshHost, keys.ref('lab.key')),
    ],
    access: {
      grants: [{ name: 'agents', connections: ['app', 'lab-host'], principals: { groups: ['agents'] } }],
    },
    policy: { rules: [{ name: 'allow-all', decision: 'allow' }] },
    audit: {
      dir: join(dir, 'audit'),
      signingKey: keys.ref('audit.key'),
      sinks: [{ kind: 's3', bucket: 'warden-audit', prefix: 'audit/' }],
    },
    recording: { dir: recordings },
  });
  token = await issuer.agentToken('bot');
  gateway = await startWarden();
  await writeFile(
    join(dir, 'known_hosts'),
    `[127.0.0.1]:${gateway.ssh.port} ${publicKeyLine(`${gatewayKey}.pub`)}\n`,
  );
}, 60_000);

afterAll(async () => {
  await gateway?.close().catch(() => undefined);
  await Promise.all([aws?.stop(), issuer?.close(), sshHost?.close(), db?.drop()]);
  process.env = savedEnv;
  await rm(dir, { recursive: true, force: true });
});

/** The gateway as startGateway composes it: services, then listeners; closed listeners first. */
async function startWarden(): Promise<Gateway> {
  const closers: (() => Promise<void>)[] = [];
  const services = await createGatewayServices(config, {
    logger: createLogger({ WARDEN_LOG_LEVEL: 'silent' }),
  });
  closers.push(() => services.close());
  const postgres = (await startPostgres(services, closers))!;
  const ssh = (await startSsh(services, closers))!;
  return {
    postgres,
    ssh,
    close: async () => {
      for (const close of closers) await close();
    },
  };
}

function connect(): Promise<Client> {
  return gatewayClient({ admin: '', role: 'single', postgres: gateway.postgres }, 'app', token);
}

/** The session id of the connection's Postgres backend, as the recording is named. */
async function sessionOf(before: ReadonlySet<string>): Promise<string> {
  const starts = await waitFor(async () => {
    const fresh = (await audit()).filter((e) => e.type === 'session.start' && !before.has(sessionId(e)));
    return fresh.length > 0 && fresh;
  }, 'the session to start');
  return sessionId(starts.at(-1)!);
}

function sessionId(e: AuditLine): string {
  return (e as unknown as { session: string }).session;
}

async function audit(): Promise<AuditLine[]> {
  return readAuditLines<AuditLine>(join(dir, 'audit'));
}

async function sessionsSoFar(): Promise<Set<string>> {
  return new Set((await audit()).filter((e) => e.type === 'session.start').map(sessionId));
}

const objectOf = (name: string) => aws.objects.get(`${PREFIX}recordings/${HOST}/${name}`);

function waitFor<T>(
  fn: () => Promise<T | false | undefined> | T | false | undefined,
  what: string,
): Promise<T> {
  return until(fn, 15_000, what);
}

async function expectCopied(name: string): Promise<void> {
  const stored = await waitFor(() => objectOf(name), `${name} to be copied`);
  expect(stored.data.equals(await readFile(join(recordings, name)))).toBe(true);
  expect(stored.lockMode).toBe('COMPLIANCE');
  expect(stored.retainUntil.getTime()).toBeGreaterThan(Date.now() + 2000 * 86_400_000);
}

describe('session recordings copied to write-once storage', () => {
  it('copies a Postgres recording once its session ends, not while it is written', async () => {
    const before = await sessionsSoFar();
    const c = await connect();
    await c.query('SELECT 1 AS one');
    const session = await sessionOf(before);
    const name = `${session}.jsonl`;
    // The file holds the session's lines while it runs, and is not in the bucket.
    await waitFor(
      async () => (await readFile(join(recordings, name), 'utf8').catch(() => '')).includes('"statement"'),
      'the live recording to be written',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(objectOf(name)).toBeUndefined();

    await c.end();
    await expectCopied(name);
    const text = objectOf(name)!.data.toString();
    expect(text).toContain('"session.start"');
    expect(text.trimEnd().split('\n').at(-1)).toContain('"session.end"');
  });

  it('copies an SSH exec cast once the channel closes', async () => {
    const before = await sessionsSoFar();
    const r = await runOpenSsh({
      port: gateway.ssh.port,
      knownHosts: join(dir, 'known_hosts'),
      token,
      user: 'lab-host',
      command: 'echo copied-cast',
    });
    expect(r.code).toBe(0);
    const session = await sessionOf(before);
    await expectCopied(`${session}.cast`);
    expect(objectOf(`${session}.cast`)!.data.toString()).toContain('copied-cast');
  });

  it('keeps retrying a copy the sink refuses, and records the failure and the retried copy', async () => {
    // Every attempt of the uploader's first round fails as an unavailable S3 would.
    aws.failNext('PutObject', 503, 3);
    // What the upload metrics see: one copy started however often it is tried, so the backlog
    // gauge goes back to zero once it is done.
    const uploads: string[] = [];
    const observe = (o: unknown) => {
      const u = o as AuditObservation;
      if (u.kind === 'upload') uploads.push(u.state);
    };
    diagnosticsChannel.subscribe(AUDIT_CHANNEL, observe);
    const before = await sessionsSoFar();
    const c = await connect();
    await c.query('SELECT 2 AS two');
    await c.end();
    const session = await sessionOf(before);
    const name = `${session}.jsonl`;
    const failed = await waitFor(
      async () => (await audit()).find((e) => e.type === 'audit.upload-failed' && e.body.recording === name),
      'the failed copy to be audited',
    );
    expect(failed.body).toEqual({ recording: name, sink: 's3' });
    await expectCopied(name);
    const retried = await waitFor(
      async () => (await audit()).find((e) => e.type === 'audit.upload-retried' && e.body.recording === name),
      'the retried copy to be audited',
    );
    expect(retried.body).toEqual({ recording: name, sink: 's3', attempts: 2 });
    diagnosticsChannel.unsubscribe(AUDIT_CHANNEL, observe);
    expect(uploads).toEqual(['started', 'failed', 'done']);
  });

  it('copies on start what was finished but not copied while the gateway was stopped', async () => {
    await gateway.close();
    const copied = aws.count('PutObject');
    const shipped = (await readFile(join(recordings, SHIPPED_RECORDINGS), 'utf8')).trim().split('\n');
    expect(shipped).toHaveLength(3);
    // A recording another run of the gateway finished and did not get to copy (its task stopped).
    const leftover = `${randomUUID()}.jsonl`;
    await writeFile(join(recordings, leftover), '{"type":"session.start"}\n{"type":"recording.stopped"}\n');
    // An HTTP exchanges file a process left, and an empty one (a process that served no request).
    await mkdir(join(recordings, 'http'), { recursive: true });
    await writeFile(join(recordings, 'http', '7-1700000000000.jsonl'), '{"type":"http.exchange"}\n');
    await writeFile(join(recordings, 'http', '8-1700000000000.jsonl'), '');

    gateway = await startWarden();
    await expectCopied(leftover);
    await expectCopied('http/7-1700000000000.jsonl');
    // Only those two: what the marker lists is not copied again, an empty file not at all.
    await new Promise((r) => setTimeout(r, 300));
    expect(aws.count('PutObject')).toBe(copied + 2);
  });
});
