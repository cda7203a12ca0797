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
    Validations.of(listener).acknowledge({
      id: 'HIPAA.Security-ELBv2ACMCertificateRequired',
      reason:
        'TCP pass-through by design: Postgres negotiates TLS inside its own protocol, so the load balancer cannot terminate it. The gateway terminates TLS on every listener (Warden-GatewayTlsRequired).',
    });
  }
  Validations.of(gw.taskDefinition).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason:
      'WARDEN_CONFIG_JSON holds the gateway config with secret references (ARNs), never secret values; it is validated at synth with the gateway schema.',
  });
}
