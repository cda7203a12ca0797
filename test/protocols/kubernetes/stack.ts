/**
 * The real gateway in front of the sandbox Kubernetes API (the test API server: the one fake, as
 * no API server can run here), with a real OIDC issuer, the default agent policy and approvals.
 * Clients are the real kubectl (a kubeconfig from `warden kubeconfig`, tokens from `warden login`
 * as its exec credential plugin) and @kubernetes/client-node (client-node-run.mjs).
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { validateConfig } from '../../../gateway-image/src/config/load';
import { type RunningGateway, startGateway } from '../../../gateway-image/src/gateway/start';
import { login } from '../../../gateway-image/src/identity/login';
import { createLogger } from '../../../gateway-image/src/logging/logger';
import { DEFAULT_AGENT_POLICY_RULES } from '../../../gateway-image/src/policy/default-agent-policy';
import {
  type SandboxKubernetesApi,
  startSandboxKubernetesApi,
} from '../../../gateway-image/src/sandbox/kubernetes/server';
import { type LocalIssuer, startLocalIssuer } from '../../../gateway-image/src/sandbox/local-issuer';
import { readAuditLines } from '../../support/audit-lines';
import { WARDEN_BIN, writeGatewayFiles } from '../../support/gateway-stack';

const run = promisify(execFile);
const AUDIENCE = 'urn:warden:kubernetes-test';
export const AGENT = {
  clientId: 'k8s-bot',
  clientSecret: randomBytes(16).toString('hex'),
  groups: ['agents'],
};
export const HUMAN = { id: 'dana.clinician', groups: ['clinicians'] };
export const APPROVER = { id: 'avery.approver', groups: ['approvers'] };

export interface AuditLine {
  readonly type: string;
  readonly connection: string | null;
  readonly principal: { readonly subject: string; readonly kind: string } | null;
  // biome-ignore lint/suspicious/noExplicitAny: event bodies differ by type; tests read what they assert
  readonly body: Record<string, any>;
}

export interface KubectlRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export interface KubernetesStack {
  readonly dir: string;
  readonly api: SandboxKubernetesApi;
  readonly gateway: RunningGateway;
  readonly issuer: LocalIssuer;
  /** https://127.0.0.1:<port>/ehr-cluster */
  readonly server: string;
  readonly caFile: string;
  readonly tokens: { readonly agent: string; readonly human: string; readonly approver: string };
  /** kubectl with a static session token (--token), or with the kubeconfig's exec plugin when token is 'plugin'. */
  kubectl(args: readonly string[], who: 'agent' | 'human' | 'plugin'): Promise<KubectlRun>;
  /** kubectl started in the background (a held request). */
  kubectlLater(args: readonly string[], who: 'agent' | 'human'): Promise<KubectlRun>;
  approveNext(): Promise<string>;
  audit(): Promise<AuditLine[]>;
  recordings(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startKubernetesStack(): Promise<KubernetesStack> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-k8s-'));
  const [issuer, api] = await Promise.all([
    startLocalIssuer({ audience: AUDIENCE, agents: [AGENT], users: [HUMAN, APPROVER] }),
    startSandboxKubernetesApi({ patients: 50 }),
  ]);
  const keys = await writeGatewayFiles(dir, {
    commonName: 'warden-test',
    altNames: ['IP:127.0.0.1'],
    extra: { 'k8s.token': api.token, 'k8s.ca': api.ca, 'token.key': randomBytes(32).toString('base64') },
  });
  const f = keys.ref;
  const config = validateConfig({
    version: 1,
    workers: 1,
    listeners: {
      admin: { host: '127.0.0.1', port: 0 },
      // Short request deadlines: watches, logs and exec streams must outlive them (they are not cut).
      kubernetes: {
        host: '127.0.0.1',
        port: 0,
        tls: keys.tls,
        headersTimeoutMs: 1500,
        requestTimeoutMs: 1500,
      },
    },
    identity: {
      issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }],
      sessionTokens: { signingKey: f('session.key'), lifetimeSec: 3600 },
    },
    connections: [
      {
        name: 'ehr-cluster',
        kind: 'kubernetes',
        phi: true,
        phiNamespaces: ['clinical'],
        upstream: {
          url: api.url,
          tls: { ca: f('k8s.ca') },
          credential: { type: 'bearer', token: f('k8s.token') },
        },
      },
    ],
    access: {
      grants: [
        {
          name: 'cluster',
          connections: ['ehr-cluster'],
          principals: { groups: ['agents', 'clinicians', 'approvers'] },
        },
      ],
    },
    policy: { default: 'deny', rules: DEFAULT_AGENT_POLICY_RULES.map((r) => ({ ...r })) },
    masking: {
      tokenKey: f('token.key'),
      profiles: [
        { name: 'agents', principals: { kinds: ['agent'] }, default: 'redact', entities: { SSN: 'partial' } },
        {
          name: 'clinicians',
          principals: { groups: ['clinicians'] },
          default: 'partial',
          entities: { NAME: 'raw' },
        },
      ],
    },
    approvals: { timeoutMs: 60_000, rules: [{ policyRules: ['*'], approverGroups: ['approvers'] }] },
    audit: { dir: join(dir, 'audit'), signingKey: f('audit.key') },
    recording: { dir: join(dir, 'recordings') },
  });
  const gateway = await startGateway(config, { logger: createLogger({ WARDEN_LOG_LEVEL: 'silent' }) });
  const adminUrl = gateway.adminUrl!;
  const server = `https://127.0.0.1:${gateway.kubernetes!.port}/ehr-cluster`;
  const caFile = join(dir, 'tls.crt');
  const session = async (oidc: Promise<string>) =>
    (await login({ adminUrl, oidcToken: await oidc, ttlSeconds: 3600 })).token;
  const tokens = {
    agent: await session(issuer.agentToken(AGENT.clientId)),
    human: await session(issuer.userToken(HUMAN.id)),
    approver: await session(issuer.userToken(APPROVER.id)),
  };
  // The kubeconfig a user gets from `warden kubeconfig`, for the agent's client credentials.
  const { stdout: kubeconfig } = await run(process.execPath, [
    WARDEN_BIN,
    'kubeconfig',
    '--connection',
    'ehr-cluster',
    '--server',
    `https://127.0.0.1:${gateway.kubernetes!.port}`,
    '--admin-url',
    adminUrl,
    '--issuer',
    issuer.issuer,
    '--client-id',
    AGENT.clientId,
    '--client-secret-env',
    'K8S_BOT_SECRET',
    '--ca',
    caFile,
    '--namespace',
    'clinical',
  ]);
  const kubeconfigFile = join(dir, 'kubeconfig');
  await writeFile(kubeconfigFile, kubeconfig);

  const argv = (args: readonly string[], who: 'agent' | 'human' | 'plugin') => [
    '--kubeconfig',
    kubeconfigFile,
    ...(who === 'plugin' ? [] : ['--token', tokens[who]]),
    ...args,
  ];
  const env = {
    ...process.env,
    K8S_BOT_SECRET: AGENT.clientSecret,
    HOME: dir,
    KUBECACHEDIR: join(dir, 'cache'),
  };
  const kubectl = (args: readonly string[], who: 'agent' | 'human' | 'plugin') =>
    new Promise<KubectlRun>((resolve) => {
      const child = spawn('kubectl', argv(args, who), { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ stdout, stderr, code: code ?? -1 });
      });
    });
  const audit = async (): Promise<AuditLine[]> => {
    return readAuditLines(join(dir, 'audit'));
  };
  const adminCall = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, adminUrl), {
      method,
      headers: { authorization: `Bearer ${tokens.approver}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  return {
    dir,
    api,
    gateway,
    issuer,
    server,
    caFile,
    tokens,
    kubectl,
    kubectlLater: (args, who) => kubectl(args, who),
    async approveNext() {
      for (let i = 0; i < 100; i++) {
        const { approvals } = (await adminCall('GET', '/v1/approvals?status=pending')) as {
          approvals: { id: string }[];
        };
        if (approvals.length > 0) {
          const id = approvals[0]!.id;
          await adminCall('POST', `/v1/approvals/${id}/decision`, {
            verdict: 'approve',
            justification: 'kubectl test',
          });
          return id;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('nothing was held for approval');
    },
    audit,
    recordings: async () => (await readdir(join(dir, 'recordings'))).filter((n) => n.endsWith('.cast')),
    async close() {
      await gateway.close();
      await Promise.all([api.close(), issuer.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
