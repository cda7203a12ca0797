import type { Principal } from '../../gateway-image/src/identity/principal';
import type { KubernetesFacts } from '../../gateway-image/src/inspect/facts';
import { inspectExec } from '../../gateway-image/src/inspect/ssh';
import { DEFAULT_AGENT_POLICY_RULES } from '../../gateway-image/src/policy/default-agent-policy';
import { createPolicyEngine } from '../../gateway-image/src/policy/engine';

const who = (kind: 'agent' | 'human'): Principal => ({
  subject: kind,
  kind,
  groups: [],
  issuer: 'https://issuer.test',
  expiresAt: new Date(Date.now() + 3_600_000),
  via: 'oidc',
});
const engine = createPolicyEngine(
  { default: 'deny', rules: DEFAULT_AGENT_POLICY_RULES },
  { connections: [{ name: 'cluster', phi: true }] },
);

function facts(f: Partial<KubernetesFacts>): KubernetesFacts {
  return {
    protocol: 'kubernetes',
    verb: 'get',
    method: 'GET',
    discovery: false,
    path: '/',
    apiGroup: '',
    phiNamespace: false,
    query: [],
    ...f,
  };
}

const decide = (kind: 'agent' | 'human', f: Partial<KubernetesFacts>) =>
  engine.decide(who(kind), 'cluster', facts(f));

describe('default rules on Kubernetes facts', () => {
  it('denies agents get, list and watch on secrets, anywhere; people pass', () => {
    for (const verb of ['get', 'list', 'watch'] as const) {
      expect(decide('agent', { verb, resource: 'secrets', namespace: 'tools' })).toMatchObject({
        outcome: 'deny',
        rule: 'deny-agent-secret-reads',
      });
      expect(decide('human', { verb, resource: 'secrets', namespace: 'tools' }).outcome).toBe('allow');
    }
  });

  it('holds agent deletes, execs and scales in PHI namespaces, not elsewhere', () => {
    const held = { outcome: 'require-approval', rule: 'hold-agent-kubernetes-phi-changes' };
    expect(
      decide('agent', { verb: 'delete', resource: 'pods', namespace: 'clinical', phiNamespace: true }),
    ).toMatchObject(held);
    expect(
      decide('agent', { verb: 'patch', resource: 'deployments', subresource: 'scale', phiNamespace: true }),
    ).toMatchObject(held);
    expect(
      decide('agent', {
        verb: 'create',
        resource: 'pods',
        subresource: 'exec',
        phiNamespace: true,
        command: inspectExec('ls /data'),
      }),
    ).toMatchObject(held);
    expect(decide('agent', { verb: 'delete', resource: 'pods', namespace: 'tools' }).outcome).toBe('allow');
    expect(decide('agent', { verb: 'list', resource: 'pods', phiNamespace: true }).outcome).toBe('allow');
    expect(decide('human', { verb: 'delete', resource: 'pods', phiNamespace: true }).outcome).toBe('allow');
  });

  it('denies agents RBAC changes and token minting', () => {
    expect(
      decide('agent', {
        verb: 'create',
        resource: 'serviceaccounts',
        subresource: 'token',
        namespace: 'tools',
      }),
    ).toMatchObject({ outcome: 'deny', rule: 'deny-agent-kubernetes-escalation' });
    expect(
      decide('agent', {
        verb: 'create',
        resource: 'clusterrolebindings',
        apiGroup: 'rbac.authorization.k8s.io',
      }).outcome,
    ).toBe('deny');
  });

  it('decides an exec by its request and by its command, the most restrictive winning', () => {
    const exec = (line: string) =>
      facts({
        verb: 'create',
        resource: 'pods',
        subresource: 'exec',
        namespace: 'tools',
        command: inspectExec(line),
      });
    expect(engine.decide(who('agent'), 'cluster', exec('cat /etc/motd')).outcome).toBe('allow');
    expect(engine.decide(who('human'), 'cluster', exec('rm -rf /data'))).toMatchObject({
      outcome: 'deny',
      rule: 'deny-destructive-commands',
      program: 'rm',
    });
    expect(engine.decide(who('agent'), 'cluster', exec('python3 -c 1'))).toMatchObject({
      outcome: 'deny',
      rule: 'deny-agent-shells',
    });
    expect(engine.decide(who('agent'), 'cluster', exec('ls; base64 /data/x'))).toMatchObject({
      outcome: 'deny',
      program: 'base64',
    });
  });

  it('matches namespaces, names and groups by glob; a request across namespaces matches every namespace', () => {
    const e = createPolicyEngine(
      {
        default: 'allow',
        rules: [
          { name: 'no-prod', decision: 'deny', principals: {}, kubernetes: { namespaces: ['prod-*'] } },
          {
            name: 'no-db',
            decision: 'deny',
            principals: {},
            kubernetes: { names: ['db-*'], apiGroups: ['apps'] },
          },
        ],
      },
      { connections: [{ name: 'cluster' }] },
    );
    const d = (f: Partial<KubernetesFacts>) => e.decide(who('human'), 'cluster', facts(f)).outcome;
    expect(d({ resource: 'pods', namespace: 'prod-eu' })).toBe('deny');
    expect(d({ resource: 'pods', namespace: 'dev' })).toBe('allow');
    expect(d({ resource: 'pods' })).toBe('deny');
    expect(d({ resource: 'namespaces', name: 'prod-eu' })).toBe('deny');
    expect(
      d({ resource: 'nodes', name: 'node-1', discovery: false, namespace: undefined, apiGroup: '' }),
    ).toBe('deny');
    expect(d({ discovery: true, resource: undefined, apiGroup: undefined })).toBe('allow');
    expect(d({ resource: 'deployments', apiGroup: 'apps', namespace: 'dev', name: 'db-main' })).toBe('deny');
    expect(d({ resource: 'deployments', apiGroup: 'apps', namespace: 'dev', name: 'web' })).toBe('allow');
  });
});
