/**
 * The HTTP path and the real audit log: every request's attempt is fsync'd before the request
 * reaches the upstream, however many requests share a write (group commit), and the result,
 * which nothing waits on, does not cost an fsync of its own. The log's file system is the real
 * one, with every fdatasync slowed down so that "before" is a wide window.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AuditLog } from '../../gateway-image/src/audit';
import { validateConfig } from '../../gateway-image/src/config/load';
import type { ListenerAddress } from '../../gateway-image/src/gateway/listeners';
import { startHttp } from '../../gateway-image/src/gateway/listeners';
import { createGatewayServices, type GatewayServices } from '../../gateway-image/src/gateway/services';
import { createLogger } from '../../gateway-image/src/logging/logger';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { writeGatewayFiles } from '../support/gateway-stack';
import { slowAuditFs } from '../support/slow-audit-fs';

const run = promisify(execFile);
const AUDIENCE = 'urn:warden:http-durability-test';
const SYNC_DELAY_MS = 150;

describe('HTTP requests and the audit log', () => {
  let dir: string;
  let issuer: LocalIssuer;
  let upstream: Server;
  let log: AuditLog;
  let services: GatewayServices;
  let http: ListenerAddress;
  let token: string;
  const closers: (() => Promise<void>)[] = [];
  const slow = slowAuditFs(SYNC_DELAY_MS);
  const written = slow.written;
  /** For each request the upstream received: how many attempts were durable at that moment. */
  const arrivals: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-http-durability-'));
    issuer = await startLocalIssuer({
      audience: AUDIENCE,
      agents: [{ clientId: 'bot', clientSecret: 'bot-secret', groups: ['agents'] }],
    });
    upstream = createServer((_req, res) => {
      arrivals.push(slow.durable.filter((e) => e.type === 'request.attempt').length);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const keys = await writeGatewayFiles(dir, {
      commonName: 'warden-test',
      altNames: ['IP:127.0.0.1'],
      extra: { 'api.token': 'unused', 'token.key': randomBytes(32).toString('base64') },
    });
    const f = keys.ref;
    const config = validateConfig({
      version: 1,
      listeners: { http: { host: '127.0.0.1', port: 0, tls: keys.tls } },
      identity: { issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }] },
      connections: [
        {
          name: 'api',
          kind: 'http',
          phi: false,
          upstream: {
            url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
            credential: { type: 'bearer', token: f('api.token') },
          },
        },
      ],
      access: { grants: [{ name: 'agents', connections: ['api'], principals: {} }] },
      policy: { default: 'deny', rules: [{ name: 'reads', decision: 'allow', principals: {} }] },
      masking: { tokenKey: f('token.key') },
      audit: { dir: join(dir, 'audit'), signingKey: f('audit.key') },
    });
    log = await AuditLog.open(join(dir, 'audit'), {
      signingKey: createPrivateKey(await readFile(join(dir, 'audit.key'), 'utf8')),
      fileSystem: slow.fileSystem,
      deferredFlushMs: 60_000,
    });
    services = await createGatewayServices(config, {
      audit: log,
      logger: createLogger({ WARDEN_LOG_LEVEL: 'silent' }),
    });
    closers.push(() => services.close());
    http = (await startHttp(services, closers))!;
    token = await issuer.agentToken('bot');
  }, 60_000);

  afterAll(async () => {
    for (const close of closers) await close().catch(() => undefined);
    await new Promise((resolve) => upstream?.close(resolve));
    await issuer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const curl = (n: number) =>
    run('curl', [
      '-sS',
      '-k',
      '--fail',
      '-H',
      `Authorization: Bearer ${token}`,
      ...Array.from({ length: n }, (_, i) => `https://127.0.0.1:${http.port}/api/item/${i}`),
    ]);

  it('forwards no request before its attempt is durable, concurrent or one after another', async () => {
    await Promise.all([curl(1), curl(1), curl(1), curl(1)]);
    await curl(3);
    expect(arrivals).toHaveLength(7);
    // The k-th request to arrive found at least k attempts durable.
    for (const [k, durableAttempts] of arrivals.entries())
      expect(durableAttempts).toBeGreaterThanOrEqual(k + 1);
  });

  it('a result rides with the next write instead of forcing an fsync of its own', async () => {
    const syncsBefore = log.stats().syncs;
    await curl(5);
    // Five requests one after another: five attempts, each durable before it went upstream;
    // each result waited for the next attempt's write (the last one is still waiting).
    expect(log.stats().syncs - syncsBefore).toBe(5);
    const types = written.slice(-9);
    expect(types.filter((t) => t === 'request.attempt')).toHaveLength(5);
    expect(types.filter((t) => t === 'request.result')).toHaveLength(4);
  });
});
