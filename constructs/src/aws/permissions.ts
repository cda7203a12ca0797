/**
 * The task role's permissions, written out statement by statement so a reviewer (and the
 * Warden-TaskRoleOnlyConnectionSecrets rule) can see it reaches exactly what it needs.
 */
import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { WardenGateway } from './gateway';

/** `secretsmanager:GetSecretValue` on exactly this secret, and decrypt with its key only via Secrets Manager. */
export function grantSecretRead(role: iam.IRole, secret: secretsmanager.ISecret): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
  );
  if (secret.encryptionKey) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [secret.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
      }),
    );
  }
}

/** Prefixes the gateway writes sealed segments and recordings under (core/render.ts). */
export const STORAGE_PREFIXES = ['audit/', 'recordings/'] as const;

/** Put objects (with their retention) under the gateway's prefixes; no read, no delete. */
export function grantStorageWrite(role: iam.IRole, bucket: s3.IBucket, key: kms.IKey): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:PutObjectRetention'],
      resources: STORAGE_PREFIXES.map((p) => bucket.arnForObjects(`${p}*`)),
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
    }),
  );
}

/**
 * Why each load balancer listener passes TCP through instead of holding an ACM certificate: each
 * protocol for its own reason (keyed by the listener ids in gateway-container.ts).
 */
const LISTENER_PASS_THROUGH = {
  Postgres:
    'TCP pass-through by design: Postgres negotiates TLS inside its own protocol (SSLRequest, or direct TLS in PostgreSQL 17), which a load balancer cannot terminate. The gateway presents TLS on this listener (Warden-GatewayTlsRequired).',
  Ssh: 'SSH is not TLS: it encrypts with its own transport protocol (RFC 4253) under the gateway host key, so there is no certificate for the load balancer to hold; the gateway terminates SSH itself.',
  Https:
    'TCP pass-through so that bearer tokens and PHI responses are decrypted only inside the gateway, where they are audited and masked; a TLS listener here would decrypt them first. The gateway presents TLS on this listener (Warden-GatewayTlsRequired).',
  Kubernetes:
    'TCP pass-through so that kubectl bearer tokens, exec streams and PHI responses are decrypted only inside the gateway, where they are inspected, audited and masked; the gateway presents TLS on this listener (Warden-GatewayTlsRequired).',
  Admin:
    'The admin API and reviewer console carry sign-ins and approval decisions; the gateway terminates their TLS itself (Warden-GatewayTlsRequired) so no credential is decrypted in the load balancer.',
} as const;

/**
 * Acknowledgements for findings the gateway's design accepts, each next to the resource it
 * concerns and with the reason a reviewer needs.
 */
export function acknowledgeGatewayFindings(gw: WardenGateway): void {
  const stack = Stack.of(gw);
  const bucketId = stack.getLogicalId(gw.auditBucket.node.defaultChild as CfnBucket);
  const taskPolicy = gw.taskDefinition.taskRole.node.tryFindChild('DefaultPolicy');
  if (taskPolicy) {
    Validations.of(taskPolicy).acknowledge(
      ...STORAGE_PREFIXES.map((p) => ({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${p}*]`,
        reason: `Segment and recording object names are generated at run time; the wildcard is confined to the ${p} prefix and the role cannot read or delete.`,
      })),
    );
  }
  const inline = {
    id: 'HIPAA.Security-IAMNoInlinePolicy',
    reason:
      "Generated least-privilege policy naming only this gateway's own resources; as a managed policy it could be attached to other principals.",
  };
  Validations.of(gw.taskDefinition.taskRole).acknowledge(inline);
  const execution = gw.taskDefinition.executionRole;
  if (execution) {
    Validations.of(execution).acknowledge(inline, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken supports no resource-level permission; image pulls are scoped to the repository.',
    });
  }
  for (const listener of gw.listeners) {
    const reason = LISTENER_PASS_THROUGH[listener.node.id as keyof typeof LISTENER_PASS_THROUGH];
    if (!reason) throw new Error(`${listener.node.path}: no acknowledgement reason for this listener`);
    Validations.of(listener).acknowledge({ id: 'HIPAA.Security-ELBv2ACMCertificateRequired', reason });
  }
  Validations.of(gw.taskDefinition).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason:
      'WARDEN_CONFIG_JSON holds the gateway config with secret references (ARNs), never secret values; it is validated at synth with the gateway schema. The metrics agent is configured with its scrape and CloudWatch settings, which hold no secret.',
  });
}
