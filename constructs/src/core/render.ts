/**
 * Renders cloud-neutral props into the gateway config (the contract: the config JSON Schema, typed in config-contract.ts).
 * The output is the *input* form of the config: defaults the gateway fills in are left out, so the
 * rendered JSON stays small and reviewable.
 */
import type { WardenConfigInput } from './config-contract';
import type {
  AccessGrantProps,
  ApprovalRuleProps,
  ConnectionEntry,
  ConnectionSpec,
  GatewaySpec,
  PolicyRuleProps,
  StorageSinkSpec,
} from './types';

/** Names of the policy rules `phiSafeguards` adds; compliance checks look for them by behaviour, not name. */
export const PHI_RULE_NAMES = {
  sql: 'warden.phi-sql-writes',
  ssh: 'warden.phi-ssh-commands',
  http: 'warden.phi-http-writes',
  kubernetes: 'warden.phi-kubernetes-changes',
} as const;

export const DEFAULT_PORTS = {
  postgres: 5432,
  ssh: 2222,
  http: 8443,
  kubernetes: 6443,
  admin: 8444,
} as const;
/**
 * Six years: HIPAA keeps required documentation six years (45 CFR § 164.316(b)(2)(i)); counted as
 * 2192 days so leap days never shorten it. Default retention and the compliance rules' minimum.
 */
export const SIX_YEARS_DAYS = 2192;
export const DEFAULT_AUDIT_DIR = '/var/lib/warden/audit';
export const DEFAULT_RECORDING_DIR = '/var/lib/warden/recordings';

/** HTTP methods that change state upstream. */
const HTTP_WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];
/** Kubernetes verbs that change a cluster (exec is create on pods/exec). */
const KUBERNETES_WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'] as const;

/**
 * Policy rules that hold writes on PHI connections for approval (or deny them when nobody can
 * approve): SQL writes as the gateway defines them (`sql.write`), every SSH command (a shell
 * command's effect cannot be known in advance), state-changing HTTP methods, and every write verb
 * on a Kubernetes cluster (exec included). One rule per
 * protocol, because a rule's matchers are protocol specific.
 */
export function phiSafeguardRules(
  connections: readonly ConnectionSpec[],
  haveApprovers: boolean,
): PolicyRuleProps[] {
  const decision = haveApprovers ? 'require-approval' : 'deny';
  const phiNames = (kind: ConnectionSpec['kind']) =>
    connections.filter((c) => c.kind === kind && c.phi === true).map((c) => c.name);
  const rules: PolicyRuleProps[] = [];
  const sql = phiNames('postgres');
  if (sql.length > 0) {
    rules.push({
      name: PHI_RULE_NAMES.sql,
      description:
        "Writes on PHI databases (the gateway's sql.write: DML, TRUNCATE, MERGE, COPY … FROM, DDL, GRANT, data-modifying WITH, procedural code, unvetted functions) need a second person.",
      decision,
      connections: sql,
      // The gateway's one definition of a write; the compliance check accepts nothing narrower.
      sql: { write: true },
    });
  }
  const ssh = phiNames('ssh');
  if (ssh.length > 0) {
    rules.push({
      name: PHI_RULE_NAMES.ssh,
      description: 'Commands on hosts holding PHI need a second person.',
      decision,
      connections: ssh,
      ssh: { modes: ['exec', 'shell', 'subsystem'] },
    });
  }
  const http = phiNames('http');
  if (http.length > 0) {
    rules.push({
      name: PHI_RULE_NAMES.http,
      description: 'State-changing requests to PHI APIs need a second person.',
      decision,
      connections: http,
      http: { methods: HTTP_WRITE_METHODS },
    });
  }
  const kubernetes = phiNames('kubernetes');
  if (kubernetes.length > 0) {
    rules.push({
      name: PHI_RULE_NAMES.kubernetes,
      description:
        'Changes in PHI clusters (exec, delete, scale and every other write) need a second person.',
      decision,
      connections: kubernetes,
      kubernetes: { verbs: [...KUBERNETES_WRITE_VERBS] },
    });
  }
  return rules;
}

function grants(spec: GatewaySpec): AccessGrantProps[] {
  const out: AccessGrantProps[] = [];
  const agentGroups = spec.identity.agentGroups ?? [];
  if (agentGroups.length > 0) {
    out.push({ name: 'warden.agent-groups', connections: ['*'], principals: { groups: [...agentGroups] } });
  }
  for (const c of spec.connections) {
    if (c.allowedGroups && c.allowedGroups.length > 0) {
      out.push({
        name: `warden.conn.${c.spec.name}`,
        connections: [c.spec.name],
        principals: { groups: [...c.allowedGroups] },
      });
    }
  }
  return [...out, ...(spec.grants ?? [])];
}

function sinks(storage: readonly StorageSinkSpec[], folder: string): StorageSinkSpec[] {
  return storage.map((s) => (s.kind === 'stdout' ? s : { ...s, prefix: `${s.prefix ?? ''}${folder}/` }));
}

/**
 * The gateway config for a spec. Pure: the same spec always renders the same config, and nothing
 * is validated here (see `validateGatewayConfig`), so a cloud variant can render with tokens inside.
 */
export function renderGatewayConfig(spec: GatewaySpec): WardenConfigInput {
  const ports = { ...DEFAULT_PORTS, ...spec.ports };
  const tls = { certificate: spec.secrets.tlsCertificate, key: spec.secrets.tlsKey };
  const connections = spec.connections.map((c: ConnectionEntry) => c.spec);
  const approverGroups = [...(spec.identity.approverGroups ?? [])];
  const safeguards =
    spec.phiSafeguards === false ? [] : phiSafeguardRules(connections, approverGroups.length > 0);
  const approvalRules: ApprovalRuleProps[] = [...(spec.approvals?.rules ?? [])];
  const held = safeguards.filter((r) => r.decision === 'require-approval').map((r) => r.name);
  if (held.length > 0) approvalRules.push({ policyRules: held, approverGroups });

  return {
    version: 1,
    listeners: {
      postgres: { port: ports.postgres, tls },
      ...(spec.secrets.sshHostKey ? { ssh: { port: ports.ssh, hostKey: spec.secrets.sshHostKey } } : {}),
      http: { port: ports.http, tls },
      kubernetes: { port: ports.kubernetes, tls },
      admin: { port: ports.admin, tls },
    },
    identity: {
      issuers: [...spec.identity.issuers],
      sessionTokens: {
        lifetimeSec: spec.identity.sessionLifetimeSec ?? 900,
        signingKey: spec.secrets.sessionSigningKey,
        adminGroups: [...(spec.identity.adminGroups ?? [])],
      },
    },
    connections,
    access: {
      grants: grants(spec),
      ...(approverGroups.length > 0 ? { justInTime: { approverGroups } } : {}),
    },
    policy: { ...spec.policy, rules: [...(spec.policy?.rules ?? []), ...safeguards] },
    masking: {
      ...spec.masking,
      ...(spec.secrets.maskingTokenKey && !spec.masking?.tokenKey
        ? { tokenKey: spec.secrets.maskingTokenKey }
        : {}),
    },
    approvals: { ...spec.approvals, rules: approvalRules },
    audit: {
      dir: spec.auditDir ?? DEFAULT_AUDIT_DIR,
      signingKey: spec.secrets.auditSigningKey,
      sinks: sinks(spec.storage, 'audit'),
      // Each day's signed evidence pack lands in write-once storage beside the segments.
      evidence: { daily: true },
    },
    recording: {
      dir: spec.recordingDir ?? DEFAULT_RECORDING_DIR,
      sinks: sinks(spec.storage, 'recordings'),
    },
  };
}
