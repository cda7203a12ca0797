/**
 * The SSH path and the real audit log, with stock `ssh` as the client and a real sshd upstream:
 * a command runs on the host only after its attempt is durable, and a completed command's result,
 * which nothing waits on, rides with the next write instead of costing an fsync of its own. Every
 * fdatasync is slowed down so that "after" is a wide window.
 */
import { createPrivateKey, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../gateway-image/src/audit';
import { validateConfig } from '../../gateway-image/src/config/load';
import type { ListenerAddress } from '../../gateway-image/src/gateway/listeners';
import { startSsh } from '../../gateway-image/src/gateway/listeners';
import { createGatewayServices, type GatewayServices } from '../../gateway-image/src/gateway/services';
import { createLogger } from '../../gateway-image/src/logging/logger';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import {
  keygen,
  type OpenSshServer,
  publicKeyLine,
  sshdInstalled,
  startOpenSshServer,
} from '../../gateway-image/src/sandbox/ssh-host';
import { sshConnection, writeGatewayFiles } from '../support/gateway-stack';
import { slowAuditFs } from '../support/slow-audit-fs';
import { runOpenSsh } from '../support/ssh-client';

const AUDIENCE = 'urn:warden:ssh-durability-test';
const SYNC_DELAY_MS = 200;

describe('SSH commands and the audit log', () => {
  let dir: string;
  let issuer: LocalIssuer;
  let sshd: OpenSshServer;
  let log: AuditLog;
  let services: GatewayServices;
  let ssh: ListenerAddress;
  let token: string;
  const slow = slowAuditFs(SYNC_DELAY_MS);
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    expect({ sshd: sshdInstalled(), sshpass: existsSync('/usr/bin/sshpass') }).toEqual({
      sshd: true,
      sshpass: true,
    });
    dir = await mkdtemp(join(tmpdir(), 'warden-ssh-durability-'));
    [issuer, sshd] = await Promise.all([
      startLocalIssuer({
        audience: AUDIENCE,
        agents: [{ clientId: 'bot', clientSecret: 'bot-secret', groups: ['agents'] }],
      }),
      startOpenSshServer(),
    ]);
    const gatewayKey = keygen(dir, 'gateway_ed25519');
    const keys = await writeGatewayFiles(dir, {
      commonName: 'warden-test',
      extra: { 'host.key': sshd.clientPrivateKey, 'token.key': randomBytes(32).toString('base64') },
    });
    const f = keys.ref;
    const config = validateConfig({
      version: 1,
      listeners: { ssh: { host: '127.0.0.1', port: 0, hostKey: `file:${gatewayKey}` } },
      identity: { issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }] },
      connections: [sshConnection('host', sshd, f('host.key'))],
      access: { grants: [{ name: 'agents', connections: ['host'], principals: {} }] },
      policy: {
        default: 'deny',
        rules: [{ name: 'exec', decision: 'allow', principals: {}, ssh: { modes: ['exec'] } }],
      },
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
    ssh = (await startSsh(services, closers))!;
    await writeFile(
      join(dir, 'known_hosts'),
      `[127.0.0.1]:${ssh.port} ${publicKeyLine(`${gatewayKey}.pub`)}\n`,
    );
    token = await issuer.agentToken('bot');
  }, 60_000);

  afterAll(async () => {
    for (const close of closers) await close().catch(() => undefined);
    await Promise.all([sshd?.close(), issuer?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  const run = (command: string) =>
    runOpenSsh({ port: ssh.port, knownHosts: join(dir, 'known_hosts'), token, user: 'host', command });

  it('runs a command only once its attempt is durable', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await run('date +%s%3N');
      expect(r.code).toBe(0);
      const ranAt = Number(r.stdout.trim());
      const attempts = slow.durable.filter((e) => e.type === 'command.attempt');
      expect(attempts).toHaveLength(i + 1);
      expect(ranAt).toBeGreaterThanOrEqual(attempts[i]!.at);
    }
  });

  /** Waits until every session so far has its session.end on disk. */
  async function sessionsEnded(): Promise<void> {
    const count = (type: string) => slow.durable.filter((e) => e.type === type).length;
    const deadline = Date.now() + 5_000;
    while (count('session.end') < count('session.start') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
  }

  it("a completed command's result costs no fsync of its own", async () => {
    await sessionsEnded();
    const before = slow.durable.length;
    const syncs = log.stats().syncs;
    const r = await run('true');
    expect(r.code).toBe(0);
    // The session ends when the client leaves: its durable append carries the deferred result.
    await sessionsEnded();
    const events = slow.durable.slice(before);
    expect(events.map((e) => e.type)).toEqual([
      'session.start',
      'command.attempt',
      'command.result',
      'session.end',
    ]);
    const at = (type: string) => events.find((e) => e.type === type)!.at;
    expect(at('command.result')).toBe(at('session.end'));
    // session.start, the attempt, then the result with session.end: three writes, not four.
    expect(log.stats().syncs - syncs).toBe(3);
  });
});
