/**
 * Faults under the audit log, with real processes: `warden gateway` writing its audit log on a
 * small filesystem of its own (a tmpfs when the test may mount one: a real disk that fills up;
 * otherwise the gateway's file-size limit is lowered on the running process, which fails its
 * writes the same way), and copying sealed segments to S3 — the one thing faked, at its HTTP
 * boundary, behind a switch that makes it unreachable. Each case says what the client sees, what
 * the audit log holds, and that the gateway serves again without a restart.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { FakeAws, STATIC_KEYS } from '../runtime/aws/fake-aws';
import { postgresConnection } from '../support/gateway-stack';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { type FaultGateway, gatewayClient, startFaultGateway, until } from './support';

const AUDIENCE = 'urn:warden:faults-audit';
jest.setTimeout(60_000);

let dir: string;
let auditDir: string;
let db: TestDatabase;
let issuer: LocalIssuer;
let aws: FakeAws;
let s3: Switch;
let gateway: FaultGateway;
let token: string;
let disk: AuditDisk;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-faults-audit-'));
  auditDir = join(dir, 'audit');
  await mkdir(auditDir);
  disk = await auditDisk(auditDir);
  [db, issuer, aws] = await Promise.all([
    createTestDatabase('faults_audit'),
    startLocalIssuer({
      audience: AUDIENCE,
      agents: [{ clientId: 'bot', clientSecret: 'bot-secret', groups: ['agents'] }],
    }),
    new FakeAws().start(),
  ]);
  s3 = await startSwitch(Number(new URL(aws.url).port));
  const setup = new Client(db.connection);
  await setup.connect();
  await setup.query('CREATE TABLE items(id int primary key, note text)');
  await setup.end();
  gateway = await startFaultGateway(
    dir,
    (f) => ({
      version: 1,
      workers: 1,
      listeners: {
        postgres: { host: '127.0.0.1', port: 0, tls: f.tls },
        admin: { host: '127.0.0.1', port: 0 },
      },
      identity: {
        issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }],
        sessionTokens: { signingKey: f.ref('session.key') },
      },
      connections: [postgresConnection('app', db, 'FAULTS_PG_PASSWORD')],
      access: { grants: [{ name: 'agents-app', connections: ['app'], principals: { groups: ['agents'] } }] },
      policy: { rules: [{ name: 'allow-all', decision: 'allow' }] },
      audit: {
        dir: auditDir,
        signingKey: f.ref('audit.key'),
        // Small segments, so a few hundred statements seal several for the upload case.
        segmentMaxBytes: 32 * 1024,
        sinks: [{ kind: 's3', bucket: 'warden-audit', prefix: 'audit/' }],
      },
    }),
    {
      FAULTS_PG_PASSWORD: db.connection.password,
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ACCESS_KEY_ID: STATIC_KEYS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: STATIC_KEYS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    },
  );
  disk.gateway = gateway.child.pid!;
  token = await issuer.agentToken('bot');
}, 90_000);

afterAll(async () => {
  if (process.env.FAULTS_DEBUG) console.log(gateway?.log.join('\n'));
  await disk?.release();
  await gateway?.stop();
  await Promise.all([s3?.close(), aws?.stop(), issuer?.close(), db?.drop()]);
  await disk?.unmount();
  await rm(dir, { recursive: true, force: true });
});

const connect = async (name: string) => {
  const c = await gatewayClient(gateway.ready, 'app', token, { application_name: name });
  c.on('error', () => undefined);
  return c;
};

async function upstreamCount(): Promise<number> {
  const c = new Client(db.connection);
  await c.connect();
  try {
    return (await c.query('SELECT count(*)::int AS n FROM items')).rows[0].n;
  } finally {
    await c.end();
  }
}

describe('the audit disk full', () => {
  it('refuses every statement with a clear error and forwards nothing while nothing can be recorded, then serves the same session again once space returns, with a chain that verifies', async () => {
    const client = await connect('disk-full');
    await client.query("INSERT INTO items (id, note) VALUES (1, 'before')");
    expect(await upstreamCount()).toBe(1);

    await disk.fill();
    // Writes still land in the space the file system had already given the segment (its last
    // page); the first write that needs more fails, and refuses its statement.
    let forwarded = 0;
    let refusal: unknown;
    for (let i = 0; i < 200 && refusal === undefined; i++) {
      await client.query(`INSERT INTO items (note, id) VALUES ('while full', ${10 + i})`).then(
        () => forwarded++,
        (err: unknown) => {
          refusal = err;
        },
      );
    }
    expect(refusal).toMatchObject({ code: '58000', message: 'audit log unavailable; statement refused' });
    // Every one after it is refused as well, reads included.
    for (let i = 0; i < 3; i++) {
      await expect(
        client.query(`INSERT INTO items (note, id) VALUES ('while full', ${500 + i})`),
      ).rejects.toMatchObject({
        code: '58000',
        message: 'audit log unavailable; statement refused',
      });
    }
    await expect(client.query('SELECT 1')).rejects.toMatchObject({ code: '58000' });
    // A new session cannot start either: its start cannot be recorded.
    await expect(connect('disk-full-new')).rejects.toMatchObject({
      code: '58000',
      message: 'audit log unavailable; session refused',
    });
    // Nothing refused reached the database.
    expect(await upstreamCount()).toBe(1 + forwarded);

    await disk.release();
    // The same session, no reconnect, no gateway restart.
    await until(
      () =>
        client.query("INSERT INTO items (id, note) VALUES (2, 'after')").then(
          () => true,
          () => false,
        ),
      15_000,
      'statements to be served again',
    );
    expect(await upstreamCount()).toBe(2 + forwarded);
    const fresh = await connect('disk-full-after');
    expect((await fresh.query('SELECT count(*)::int AS n FROM items')).rows).toEqual([{ n: 2 + forwarded }]);
    await fresh.end();
    await client.end();

    const events = await gateway.audit();
    const outage = events.find((e) => e.type === 'audit.outage');
    expect(outage?.body).toMatchObject({ cause: disk.errorCode });
    expect(outage!.body.refusedAppends).toBeGreaterThanOrEqual(4);
    // Every row that reached the database has its attempt in the log, recorded before it ran.
    const inserts = (shape: RegExp) =>
      events.filter((e) => e.type === 'query.attempt' && shape.test(e.body.facts?.normalized ?? ''));
    expect(inserts(/^INSERT INTO items \(id, note\)/)).toHaveLength(2);
    expect(inserts(/^INSERT INTO items \(note, id\)/).length).toBeGreaterThanOrEqual(forwarded);
    expect(events.filter((e) => e.type === 'audit.start').at(-1)?.body.cleanShutdown).toBe(false);
    expect((await gateway.verify()).ok).toBe(true);
  });
});

describe('the write-once upload target unreachable for a while', () => {
  it('keeps sealed segments, retries them, and copies every one in order once the target is back', async () => {
    const before = aws.objects.size;
    s3.down = true;
    const client = await connect('uploads');
    // A few hundred audited statements seal several 32 KiB segments while S3 cannot be reached.
    for (let i = 0; i < 300; i++) await client.query('SELECT $1::int AS n', [i]);
    await client.end();
    const sealedWhileDown = await until(
      async () => {
        const failed = (await gateway.audit()).filter((e) => e.type === 'audit.upload-failed');
        return failed.length > 0 && failed;
      },
      15_000,
      'a failed copy to be recorded',
    );
    expect(sealedWhileDown[0]!.body).toMatchObject({ sink: 's3' });
    expect(aws.objects.size).toBe(before);

    s3.down = false;
    const sealed = (await readdirSegments(auditDir)).slice(0, -1);
    expect(sealed.length).toBeGreaterThanOrEqual(3);
    await until(() => aws.objects.size >= sealed.length, 30_000, 'every sealed segment to be copied');
    const keys = [...aws.objects.keys()];
    const names = keys.map((k) => k.split('/').at(-1));
    // In order, each exactly once, and each copy the same bytes as the sealed file kept on disk.
    expect(names.slice(0, sealed.length)).toEqual(sealed);
    for (const [i, key] of keys.slice(0, sealed.length).entries()) {
      expect(aws.objects.get(key)!.data.equals(await readFile(join(auditDir, sealed[i]!)))).toBe(true);
    }
    const retried = (await gateway.audit()).filter((e) => e.type === 'audit.upload-retried');
    expect(retried.length).toBeGreaterThan(0);
    expect((await gateway.verify()).ok).toBe(true);
  });
});

async function readdirSegments(d: string): Promise<string[]> {
  return (await readdir(d)).filter((f) => /^segment-\d+\.jsonl$/.test(f)).sort();
}

/** A TCP front for the fake S3 that refuses every connection while `down`. */
interface Switch {
  readonly url: string;
  down: boolean;
  close(): Promise<void>;
}

async function startSwitch(port: number): Promise<Switch> {
  const sockets = new Set<Socket>();
  const state = { down: false };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (state.down) return void client.resetAndDestroy();
    const upstream = tcpConnect(port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    get down() {
      return state.down;
    },
    set down(v: boolean) {
      state.down = v;
      // Connections kept alive from before must not carry requests through an outage.
      if (v) for (const s of sockets) s.resetAndDestroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * The audit directory's disk. As root where mounting is allowed it is a 4 MiB tmpfs that the
 * test fills with a file (ENOSPC) and frees by deleting it. Elsewhere the gateway process's
 * file-size limit is lowered to what its files hold (EFBIG on the next write) and raised again.
 */
interface AuditDisk {
  gateway: number;
  readonly errorCode: 'ENOSPC' | 'EFBIG';
  fill(): Promise<void>;
  release(): Promise<void>;
  unmount(): Promise<void>;
}

async function auditDisk(path: string): Promise<AuditDisk> {
  const run = promisify(execFile);
  let mounted = false;
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0755', 'tmpfs', path]);
    mounted = true;
  } catch {
    // Not root, or no mount(2) here: the file-size limit stands in for a full disk.
  }
  const filler = join(path, 'filler');
  if (mounted) {
    return {
      gateway: 0,
      errorCode: 'ENOSPC',
      async fill() {
        const fh = await open(filler, 'w');
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        try {
          for (;;) await fh.write(chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        } finally {
          await fh.close();
        }
      },
      release: () => rm(filler, { force: true }),
      async unmount() {
        execFileSync('umount', ['-l', path]);
      },
    };
  }
  const disk: AuditDisk = {
    gateway: 0,
    errorCode: 'EFBIG',
    async fill() {
      // A new segment file starts at 0 bytes, so the limit is the current segment's size.
      const segments = await readdirSegments(path);
      const { size } = await stat(join(path, segments.at(-1)!));
      await run('prlimit', ['--pid', String(disk.gateway), `--fsize=${size}:unlimited`]);
    },
    async release() {
      if (disk.gateway)
        await run('prlimit', ['--pid', String(disk.gateway), '--fsize=unlimited:unlimited']).catch(
          () => undefined,
        );
    },
    async unmount() {},
  };
  return disk;
}
