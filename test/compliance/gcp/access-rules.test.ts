import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member';
import type { TerraformStack } from 'cdktf';
import { findingsOf, gatewayAccount, statuses } from './helpers';

const DB = { connection: 'ehr', kind: 'postgres' as const, port: 5432, destinationRanges: ['10.60.0.0/16'] };

/** The egress pair the gateway construct creates for a Cloud SQL target. */
function egressPair(s: TerraformStack, gatewayEmail: string) {
  new ComputeFirewall(s, 'deny-db', {
    name: 'deny-db',
    network: 'vpc',
    direction: 'EGRESS',
    priority: 65000,
    deny: [{ protocol: 'tcp', ports: ['5432'] }],
    destinationRanges: ['10.60.0.0/16'],
  });
  new ComputeFirewall(s, 'gw-to-db', {
    name: 'gw-to-db',
    network: 'vpc',
    direction: 'EGRESS',
    priority: 1000,
    allow: [{ protocol: 'tcp', ports: ['5432'] }],
    destinationRanges: ['10.60.0.0/16'],
    targetServiceAccounts: [gatewayEmail],
  });
}

describe('FirewallTargetOnlyFromGateway (bypass detection)', () => {
  it('passes when only the gateway may reach the database', () => {
    const f = findingsOf('FirewallTargetOnlyFromGateway', (s) => {
      const sa = gatewayAccount(s, { targets: [DB] });
      egressPair(s, sa.email);
      // The gateway's own listener rule: clients reach the gateway, not the database.
      new ComputeFirewall(s, 'clients', {
        name: 'clients',
        network: 'vpc',
        allow: [{ protocol: 'tcp', ports: ['5432'] }],
        sourceRanges: ['10.10.0.0/16'],
        targetServiceAccounts: [sa.email],
      });
    });
    expect(statuses(f)).toEqual(['not-applicable', 'compliant', 'compliant', 'compliant']);
  });

  it('fails a firewall rule opening the database port to another source', () => {
    const f = findingsOf('FirewallTargetOnlyFromGateway', (s) => {
      const sa = gatewayAccount(s, { targets: [DB] });
      egressPair(s, sa.email);
      new ComputeFirewall(s, 'analysts', {
        name: 'analysts',
        network: 'vpc',
        direction: 'EGRESS',
        allow: [{ protocol: 'tcp', ports: ['5400-5500'] }],
        destinationRanges: ['10.0.0.0/8'],
        targetTags: ['analyst-vm'],
      });
    });
    expect(f.find((x) => x.resource === 'test/analysts')).toMatchObject({
      status: 'non-compliant',
      message: 'admits sources other than the gateway to ehr (tcp:5432)',
    });
  });

  it('fails an ingress rule admitting another range to an SSH target', () => {
    const f = findingsOf('FirewallTargetOnlyFromGateway', (s) => {
      gatewayAccount(s, {
        targets: [{ connection: 'bastion', kind: 'ssh', port: 22, targetTags: ['phi-host'] }],
      });
      new ComputeFirewall(s, 'ssh-any', {
        name: 'ssh-any',
        network: 'vpc',
        allow: [{ protocol: 'tcp', ports: ['22'] }],
        sourceRanges: ['0.0.0.0/0'],
      });
    });
    expect(statuses(f)).toEqual(['non-compliant']);
  });

  it('reports an ingress rule whose target tags are only known at apply as could-not-validate', () => {
    const f = findingsOf('FirewallTargetOnlyFromGateway', (s) => {
      gatewayAccount(s, {
        targets: [{ connection: 'bastion', kind: 'ssh', port: 22, targetTags: ['phi-host'] }],
      });
      const tagged = new ComputeFirewall(s, 'tagged', {
        name: 'tagged',
        network: 'vpc',
        allow: [{ protocol: 'tcp', ports: ['22'] }],
        sourceRanges: ['10.0.0.0/8'],
        targetTags: ['other'],
      });
      new ComputeFirewall(s, 'ssh-by-token', {
        name: 'ssh-by-token',
        network: 'vpc',
        allow: [{ protocol: 'tcp', ports: ['22'] }],
        sourceRanges: ['10.0.0.0/8'],
        targetTags: [tagged.name],
      });
    });
    expect(f.find((x) => x.resource === 'test/tagged')?.status).toBe('compliant');
    expect(f.find((x) => x.resource === 'test/ssh-by-token')?.status).toBe('could-not-validate');
  });

  it('fails a database without the egress deny, since any VM could connect', () => {
    const f = findingsOf('FirewallTargetOnlyFromGateway', (s) => {
      gatewayAccount(s, { targets: [DB] });
    });
    expect(f).toEqual([
      expect.objectContaining({
        status: 'non-compliant',
        message: expect.stringContaining('any VM in the network'),
      }),
    ]);
  });
});

describe('IamNoPrimitiveRoles', () => {
  it('passes a predefined role', () => {
    const f = findingsOf('IamNoPrimitiveRoles', (s) => {
      new ProjectIamMember(s, 'm', {
        project: 'p1',
        role: 'roles/logging.logWriter',
        member: 'user:a@example.com',
      });
    });
    expect(statuses(f)).toEqual(['compliant']);
  });
  it('fails roles/editor', () => {
    const f = findingsOf('IamNoPrimitiveRoles', (s) => {
      new ProjectIamMember(s, 'm', { project: 'p1', role: 'roles/editor', member: 'user:a@example.com' });
    });
    expect(f[0]).toMatchObject({ status: 'non-compliant', message: 'basic role roles/editor' });
  });
});

describe('SecretAccessScopedToGateway', () => {
  function secret(s: TerraformStack) {
    return new SecretManagerSecret(s, 'db-pw', { secretId: 'db-pw', replication: { auto: {} } });
  }
  it("passes an accessor grant to the gateway's service account only", () => {
    const f = findingsOf('SecretAccessScopedToGateway', (s) => {
      const sec = secret(s);
      const sa = gatewayAccount(s, { secrets: [sec.id] });
      new SecretManagerSecretIamMember(s, 'read', {
        secretId: sec.id,
        role: 'roles/secretmanager.secretAccessor',
        member: `serviceAccount:${sa.email}`,
      });
    });
    expect(statuses(f)).toEqual(['compliant']);
  });
  it('fails another reader of a gateway secret and a project-wide accessor', () => {
    const f = findingsOf('SecretAccessScopedToGateway', (s) => {
      const sec = secret(s);
      gatewayAccount(s, { secrets: [sec.id] });
      new SecretManagerSecretIamMember(s, 'read', {
        secretId: sec.id,
        role: 'roles/secretmanager.secretAccessor',
        member: 'user:dba@example.com',
      });
      new ProjectIamMember(s, 'wide', {
        project: 'p1',
        role: 'roles/secretmanager.secretAccessor',
        member: 'group:ops@example.com',
      });
    });
    expect(statuses(f)).toEqual(['non-compliant', 'non-compliant']);
  });
  it('recognises a gateway secret named by another attribute (secret_id)', () => {
    const f = findingsOf('SecretAccessScopedToGateway', (s) => {
      const sec = secret(s);
      gatewayAccount(s, { secrets: [sec.id] });
      new SecretManagerSecretIamMember(s, 'read', {
        secretId: sec.secretId,
        role: 'roles/secretmanager.secretAccessor',
        member: 'user:dba@example.com',
      });
    });
    expect(statuses(f)).toEqual(['non-compliant']);
  });
});
