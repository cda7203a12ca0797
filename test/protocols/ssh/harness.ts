/**
 * The SSH gateway in front of a real OpenSSH server, with small in-test hooks standing in for
 * identity, access, masking, recording and audit (the real policy engine and shell inspector).
 * Tokens: agent-token → agent alice; human-token → human bob; nogrant-token → mallory (no grant).
 * Connections: `sandbox` (the test sshd, pinned key) and `impostor` (same host, another key pinned).
 * Policy: rm denied; touch held for approval; agents exec only; humans exec, shell and sftp.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SshConnectionConfig } from '../../../gateway-image/src/config/connections';
import { AuthenticationError } from '../../../gateway-image/src/errors';
import type { Principal } from '../../../gateway-image/src/identity/principal';
import type { ShellFacts } from '../../../gateway-image/src/inspect/facts';
import { inspectSsh } from '../../../gateway-image/src/inspect/ssh';
import type { TextMasker } from '../../../gateway-image/src/masking/text-masker';
import type { Decision } from '../../../gateway-image/src/policy/decision';
import { createPolicyEngine } from '../../../gateway-image/src/policy/engine';
import type { ApprovalRequest } from '../../../gateway-image/src/protocols/gate';
import type { SshAuditInput, SshSessionHooks } from '../../../gateway-image/src/protocols/ssh/hooks';
import { type SshListener, startSshListener } from '../../../gateway-image/src/protocols/ssh/listener';
import {
  keygen,
  type OpenSshServer,
  publicKeyLine,
  startOpenSshServer,
} from '../../../gateway-image/src/sandbox/ssh-host';
import { type OpenSshClientOptions, type OpenSshRun, runOpenSsh } from '../../support/ssh-client';

/** A stand-in for the masking engineer's createTextMasker: SSNs and MRNs only. */
export const testMasker: TextMasker = {
  mask(text) {
    const counts: Record<string, number> = {};
    const out = text
      .replace(/\b\d{3}-\d{2}-\d{4}\b/g, () => {
        counts['SSN:redact'] = (counts['SSN:redact'] ?? 0) + 1;
        return '[SSN]';
      })
      .replace(/\bMRN\d{8}\b/g, () => {
        counts['MRN:redact'] = (counts['MRN:redact'] ?? 0) + 1;
        return '[MRN]';
      });
    return { text: out, counts };
  },
};

function principal(subject: string, kind: 'agent' | 'human'): Principal {
  return {
    subject,
    kind,
    groups: [kind === 'agent' ? 'agents' : 'clinicians'],
    issuer: 'https://issuer.test',
    expiresAt: new Date(Date.now() + 3_600_000),
    via: 'oidc',
  };
}

const TOKENS: Record<string, Principal> = {
  'agent-token': principal('alice', 'agent'),
  'human-token': principal('bob', 'human'),
  'nogrant-token': principal('mallory', 'agent'),
};

const policy = createPolicyEngine(
  {
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
        name: 'hold-touch',
        decision: 'require-approval',
        reason: 'touch needs approval',
        principals: {},
        ssh: { programs: ['touch'] },
      },
      { name: 'agents-exec', decision: 'allow', principals: { kinds: ['agent'] }, ssh: { modes: ['exec'] } },
      {
        name: 'humans-all',
        decision: 'allow',
        principals: { kinds: ['human'] },
        ssh: { modes: ['exec', 'shell', 'subsystem'] },
      },
    ],
  },
  { connections: [{ name: 'sandbox' }, { name: 'impostor' }] },
);

export interface SshHarness {
  readonly sshd: OpenSshServer;
  readonly listener: SshListener;
  readonly port: number;
  readonly knownHosts: string;
  readonly audit: SshAuditInput[];
  readonly recordings: string[];
  approve: ((r: ApprovalRequest<ShellFacts>) => Promise<Decision>) | undefined;
  auditDown: boolean;
  /** The revocation signal of every grant the harness hands out. @default none */
  revoked: AbortSignal | undefined;
  close(): Promise<void>;
}

export async function startSshHarness(): Promise<SshHarness> {
  const sshd = await startOpenSshServer();
  const gatewayKey = keygen(sshd.dir, 'gateway_ed25519');
  const otherKey = keygen(sshd.dir, 'other_ed25519');
  const connection = (name: string, hostKey: string): SshConnectionConfig => ({
    name,
    kind: 'ssh',
    phi: true,
    upstream: { host: sshd.host, port: sshd.port, user: sshd.user, privateKey: 'env:SSH_TEST_KEY', hostKey },
    files: [],
  });
  const connections = new Map([
    ['sandbox', connection('sandbox', sshd.hostKey)],
    ['impostor', connection('impostor', publicKeyLine(`${otherKey}.pub`))],
  ]);
  const audit: SshAuditInput[] = [];
  const recordings: string[] = [];
  const harness = { approve: undefined, auditDown: false, revoked: undefined } as Pick<
    SshHarness,
    'approve' | 'auditDown' | 'revoked'
  >;
  const hooks: SshSessionHooks = {
    async authenticate(token) {
      const p = TOKENS[token];
      if (!p) throw new AuthenticationError('ERR_TOKEN_INVALID', 'token refused');
      return p;
    },
    authorize: (p) =>
      p.subject === 'mallory'
        ? { allowed: false, reason: 'no grant' }
        : { allowed: true, ...(harness.revoked ? { revoked: harness.revoked } : {}) },
    resolveConnection: (name) => connections.get(name),
    resolveSecret: async (ref) => {
      if (ref !== 'env:SSH_TEST_KEY') throw new Error(`unknown secret ${ref}`);
      return sshd.clientPrivateKey;
    },
    inspect: (request) => inspectSsh(request),
    decide: (p, c, f) => policy.decide(p, c, f),
    async audit(input) {
      if (harness.auditDown && input.type === 'command.attempt') throw new Error('audit down');
      audit.push(input);
    },
    masker: () => testMasker,
    async record() {
      const index = recordings.push('') - 1;
      return {
        write: (line) => {
          recordings[index] += line;
        },
        close: async () => {},
      };
    },
  };
  Object.defineProperty(hooks, 'awaitApproval', {
    get: () => harness.approve,
    enumerable: true,
  });
  const listener = await startSshListener({
    host: '127.0.0.1',
    port: 0,
    hostKey: readFileSync(gatewayKey, 'utf8'),
    hooks,
  });
  const knownHosts = join(sshd.dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${listener.address.port} ${publicKeyLine(`${gatewayKey}.pub`)}\n`);
  return Object.assign(harness, {
    sshd,
    listener,
    port: listener.address.port,
    knownHosts,
    audit,
    recordings,
    async close() {
      await listener.close();
      await sshd.close();
    },
  });
}

export type SshRun = OpenSshRun;

/** Runs the real OpenSSH client through the gateway; the connection defaults to `sandbox`. */
export function sshThroughGateway(
  h: SshHarness,
  opts: Omit<OpenSshClientOptions, 'port' | 'knownHosts' | 'user'> & { user?: string },
): Promise<SshRun> {
  return runOpenSsh({ ...opts, port: h.port, knownHosts: h.knownHosts, user: opts.user ?? 'sandbox' });
}
