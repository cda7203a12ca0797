/**
 * The real gateway wiring for SSH and HTTP: services built from a config, a real OIDC issuer,
 * the sandbox OpenSSH host and FHIR API as upstreams, stock `ssh` (through sshpass) and `curl`
 * as clients. Checks policy (exec allowed and denied), masking (no raw SSN reaches the client),
 * the audit log and the recordings on disk.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { validateConfig } from '../../gateway-image/src/config/load';
import type { ListenerAddress } from '../../gateway-image/src/gateway/listeners';
import { startHttp, startSsh } from '../../gateway-image/src/gateway/listeners';
import { createGatewayServices, type GatewayServices } from '../../gateway-image/src/gateway/services';
import { createLogger } from '../../gateway-image/src/logging/logger';
import { type SandboxFhirApi, startSandboxFhirApi } from '../../gateway-image/src/sandbox/fhir-api';
import { generateHospital } from '../../gateway-image/src/sandbox/hospital';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import {
  keygen,
  type OpenSshServer,
  publicKeyLine,
  sshdInstalled,
  startSandboxSshHost,
} from '../../gateway-image/src/sandbox/ssh-host';
import { readAuditLines } from '../support/audit-lines';
import { sshConnection, writeGatewayFiles } from '../support/gateway-stack';
import { type OpenSshRun, runOpenSsh } from '../support/ssh-client';

const run = promisify(execFile);
const AUDIENCE = 'urn:warden:ssh-http-test';
// The sandbox files and API come from the same seeded hospital: these are the values to look for.
const hospital = generateHospital({ patients: 200, seed: 1 });
const ssns = hospital.patients.map((p) => p.ssn);

interface AuditLine {
  readonly type: string;
  readonly connection: string | null;
  readonly body: { readonly facts?: { readonly commandLine?: string } } & Record<string, unknown>;
}

describe('gateway SSH and HTTP data paths', () => {
  let dir: string;
  let issuer: LocalIssuer;
  let sshHost: OpenSshServer;
  let fhir: SandboxFhirApi;
  let services: GatewayServices;
  let ssh: ListenerAddress;
  let http: ListenerAddress;
  let agentToken: string;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    // CI installs openssh-server and sshpass (issue 6); a missing one fails here, not silently.
    expect({ sshd: sshdInstalled(), sshpass: existsSync('/usr/bin/sshpass') }).toEqual({
      sshd: true,
      sshpass: true,
    });
    dir = await mkdtemp(join(tmpdir(), 'warden-ssh-http-'));
    [issuer, sshHost, fhir] = await Promise.all([
      startLocalIssuer({
        audience: AUDIENCE,
        agents: [{ clientId: 'lab-bot', clientSecret: 'lab-bot-secret', groups: ['agents'] }],
      }),
      startSandboxSshHost({ patients: 200, seed: 1 }),
      startSandboxFhirApi({ patients: 200, seed: 1 }),
    ]);
    const gatewayKey = keygen(dir, 'gateway_ed25519');
    const keys = await writeGatewayFiles(dir, {
      commonName: 'warden-test',
      altNames: ['IP:127.0.0.1'],
      extra: {
        'lab.key': sshHost.clientPrivateKey,
        'fhir.token': fhir.token,
        'token.key': randomBytes(32).toString('base64'),
      },
    });
    const f = keys.ref;
    const config = validateConfig({
      version: 1,
      listeners: {
        ssh: { host: '127.0.0.1', port: 0, hostKey: f('gateway_ed25519') },
        http: { host: '127.0.0.1', port: 0, tls: keys.tls },
      },
      identity: { issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }] },
      connections: [
        sshConnection('lab-host', sshHost, f('lab.key')),
        {
          name: 'fhir',
          kind: 'http',
          phi: true,
          upstream: { url: fhir.url, credential: { type: 'bearer', token: f('fhir.token') } },
          phiFields: {
            '$..name': 'NAME',
            '$..birthDate': 'DOB',
            '$..telecom': 'PHONE',
            '$..address': 'ADDRESS',
          },
        },
      ],
      access: {
        grants: [{ name: 'agents', connections: ['lab-host', 'fhir'], principals: { groups: ['agents'] } }],
      },
      policy: {
        default: 'deny',
        rules: [
          {
            name: 'deny-rm',
            decision: 'deny',
            reason: 'rm is not allowed',
            principals: {},
            ssh: { programs: ['rm'] },
          },
          {
            name: 'agents-exec',
            decision: 'allow',
            principals: { kinds: ['agent'] },
            ssh: { modes: ['exec'] },
          },
          { name: 'agents-read-fhir', decision: 'allow', principals: {}, http: { methods: ['GET'] } },
        ],
      },
      masking: { tokenKey: f('token.key') },
      audit: { dir: join(dir, 'audit'), signingKey: f('audit.key') },
      recording: { dir: join(dir, 'recordings') },
    });
    services = await createGatewayServices(config, { logger: createLogger({ WARDEN_LOG_LEVEL: 'silent' }) });
    closers.push(() => services.close());
    ssh = (await startSsh(services, closers))!;
    http = (await startHttp(services, closers))!;
    await writeFile(
      join(dir, 'known_hosts'),
      `[127.0.0.1]:${ssh.port} ${publicKeyLine(`${gatewayKey}.pub`)}\n`,
    );
    agentToken = await issuer.agentToken('lab-bot');
  }, 60_000);

  afterAll(async () => {
    // Listeners first, services (the audit log) last, as startGateway closes them.
    for (const close of closers) await close().catch(() => undefined);
    await Promise.all([sshHost?.close(), fhir?.close(), issuer?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  function sshExec(command: string): Promise<OpenSshRun> {
    const knownHosts = join(dir, 'known_hosts');
    return runOpenSsh({ port: ssh.port, knownHosts, token: agentToken, user: 'lab-host', command });
  }

  async function auditEvents(): Promise<AuditLine[]> {
    return readAuditLines(join(dir, 'audit'));
  }

  it('runs an allowed exec on the sandbox host and masks the SSNs in its output', async () => {
    const r = await sshExec('head -6 exports/patients.csv');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('mrn,first_name,last_name,date_of_birth,ssn,phone,email,street,city,state,zip');
    expect(lines).toHaveLength(6);
    expect(r.stdout).toContain('[SSN]');
    for (const ssn of ssns) expect(r.stdout).not.toContain(ssn);
    const events = await auditEvents();
    const attempt = events.find(
      (e) => e.type === 'command.attempt' && e.body.facts?.commandLine === 'head -6 exports/patients.csv',
    );
    expect(attempt).toMatchObject({
      connection: 'lab-host',
      body: { protocol: 'ssh', decision: { outcome: 'allow' } },
    });
    expect(events.some((e) => e.type === 'session.start' && e.connection === 'lab-host')).toBe(true);
    const casts = (await readdir(join(dir, 'recordings'))).filter((n) => n.endsWith('.cast'));
    expect(casts.length).toBeGreaterThan(0);
  });

  it('refuses a denied exec with the policy reason and never runs it', async () => {
    const r = await sshExec('rm -f README.txt');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('denied by Warden policy rule "deny-rm"');
    expect(existsSync(join(sshHost.home, 'README.txt'))).toBe(true);
    const events = await auditEvents();
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'command.attempt',
        connection: 'lab-host',
        body: expect.objectContaining({
          decision: expect.objectContaining({ outcome: 'deny', rule: 'deny-rm' }),
        }),
      }),
    );
  });

  it('serves FHIR Patients through curl with PHI fields and detected SSNs masked', async () => {
    const { stdout } = await run('curl', [
      '-sS',
      '--cacert',
      join(dir, 'tls.crt'),
      '-H',
      `Authorization: Bearer ${agentToken}`,
      '-w',
      '\n%{http_code}',
      `https://127.0.0.1:${http.port}/fhir/Patient?_count=20`,
    ]);
    const status = stdout.slice(stdout.lastIndexOf('\n') + 1);
    const body = stdout.slice(0, stdout.lastIndexOf('\n'));
    expect(status).toBe('200');
    const bundle = JSON.parse(body);
    expect(bundle.entry).toHaveLength(20);
    for (const ssn of ssns) expect(body).not.toContain(ssn);
    for (const p of hospital.patients.slice(0, 20)) expect(body).not.toContain(p.lastName);
    expect(bundle.entry[0].resource.identifier[1]).toEqual({
      system: 'http://hl7.org/fhir/sid/us-ssn',
      value: '[SSN]',
    });
    const events = await auditEvents();
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'request.attempt',
        connection: 'fhir',
        body: expect.objectContaining({
          protocol: 'http',
          decision: expect.objectContaining({ outcome: 'allow' }),
        }),
      }),
    );
    // The result follows the response (it rides with the next write, within deferredFlushMs).
    const hasResult = (list: AuditLine[]) =>
      list.some((e) => e.type === 'request.result' && e.connection === 'fhir');
    let later = events;
    for (let i = 0; i < 100 && !hasResult(later); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      later = await auditEvents();
    }
    expect(hasResult(later)).toBe(true);
  });
});
