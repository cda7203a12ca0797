import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import type { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import type { Construct } from 'constructs';
import type { WardenConfigInput } from '../core';
import { type ConnectionEntry, renderGatewayConfig } from '../core';
import type { WardenGcpGatewayProps } from './gateway-props';
import { secretRef } from './refs';

/** Project-wide roles the gateway holds: writing its logs and metrics, nothing else. */
export const GATEWAY_PROJECT_ROLES = ['roles/logging.logWriter', 'roles/monitoring.metricWriter'];

/** The gateway's dedicated service account; every other grant is on a single resource. */
export function gatewayServiceAccount(scope: Construct, project: string, prefix: string): ServiceAccount {
  const sa = new ServiceAccount(scope, 'service-account', {
    project,
    accountId: `${prefix}-gateway`,
    displayName: 'Warden gateway',
  });
  for (const role of GATEWAY_PROJECT_ROLES) {
    new ProjectIamMember(scope, `role-${role.split('/')[1]!.replace('.', '-')}`, {
      project,
      role,
      member: `serviceAccount:${sa.email}`,
    });
  }
  return sa;
}

export interface RenderInputs {
  readonly connections: readonly ConnectionEntry[];
  /** The gateway's own secrets by name. */
  readonly secrets: ReadonlyMap<string, SecretManagerSecret>;
  readonly bucket: string;
}

/** GCP props → the neutral gateway spec → the config (constructs/core does the rendering). */
export function renderGcpConfig(props: WardenGcpGatewayProps, inputs: RenderInputs): WardenConfigInput {
  const ref = (name: string) => secretRef(inputs.secrets.get(name)!);
  const { identity, policy, masking, approvals, grants, phiSafeguards, ports } = props;
  return renderGatewayConfig({
    identity,
    policy,
    masking,
    approvals,
    grants,
    phiSafeguards,
    ports,
    connections: inputs.connections,
    secrets: {
      tlsCertificate: ref('tls-certificate'),
      tlsKey: ref('tls-key'),
      auditSigningKey: ref('audit-signing-key'),
      sessionSigningKey: ref('session-signing-key'),
      maskingTokenKey: ref('masking-token-key'),
      ...(inputs.secrets.has('ssh-host-key') ? { sshHostKey: ref('ssh-host-key') } : {}),
    },
    storage: [{ kind: 'gcs', bucket: inputs.bucket }],
  });
}
