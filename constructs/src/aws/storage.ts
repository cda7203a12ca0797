/** Write-once storage for sealed audit segments and recordings, and the bucket that logs access to it. */
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SIX_YEARS_DAYS } from '../core';
import { addMark } from './marks';

export { SIX_YEARS_DAYS };

export interface AuditStorageProps {
  /** Customer-managed key for the audit bucket. */
  readonly key: kms.IKey;
  /** Object Lock retention in days, COMPLIANCE mode. */
  readonly retentionDays: number;
  /** Gateway construct path, for compliance marks. */
  readonly gateway: string;
}

/**
 * `bucket`: Object Lock in COMPLIANCE mode (nobody, root included, can shorten or remove it),
 * versioned, KMS-encrypted, TLS-only, private, with server access logs to `logBucket`.
 * `logBucket` also receives the load balancer's access logs; it uses SSE-S3 because neither S3
 * server access logging nor ELB log delivery can write to an SSE-KMS bucket.
 */
export class AuditStorage extends Construct {
  readonly bucket: s3.Bucket;
  readonly logBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AuditStorageProps) {
    super(scope, id);
    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // Object ownership is left to CDK: without the serverAccessLogsUseBucketPolicy feature flag,
      // S3 server access logging is granted through the LogDeliveryWrite ACL.
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(props.retentionDays) }],
    });
    Validations.of(this.logBucket).acknowledge(
      {
        id: 'AwsSolutions-S1',
        reason: 'This is the access-log destination itself; logging it to itself would loop.',
      },
      {
        id: 'HIPAA.Security-S3BucketLoggingEnabled',
        reason: 'This is the access-log destination itself; logging it to itself would loop.',
      },
      {
        id: 'HIPAA.Security-S3DefaultEncryptionKMS',
        reason: 'S3 server access logging and ELB log delivery only write to SSE-S3 buckets.',
      },
      {
        id: 'HIPAA.Security-S3BucketReplicationEnabled',
        reason: 'Access logs are operational evidence; the audit record itself is the Object Lock bucket.',
      },
    );

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(props.retentionDays)),
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'audit-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    addMark(this.bucket.node.defaultChild as Construct, { role: 'audit-storage', gateway: props.gateway });
    Validations.of(this.bucket).acknowledge({
      id: 'HIPAA.Security-S3BucketReplicationEnabled',
      reason:
        'Cross-region replication of the audit bucket is a deployment choice (it needs a second locked bucket in another region); Object Lock COMPLIANCE already makes the record immutable.',
    });
  }
}

/**
 * NLB access logs through the log delivery service (the documented bucket policy for NLBs);
 * unlike ALB it needs no per-region ELB account, so this works in environment-agnostic stacks.
 */
export function enableNlbAccessLogs(lb: elbv2.NetworkLoadBalancer, bucket: s3.Bucket, prefix: string): void {
  const delivery = new iam.ServicePrincipal('delivery.logs.amazonaws.com');
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [delivery],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects(`${prefix}/AWSLogs/${Aws.ACCOUNT_ID}/*`)],
      conditions: {
        StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': Aws.ACCOUNT_ID },
      },
    }),
  );
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [delivery],
      actions: ['s3:GetBucketAcl'],
      resources: [bucket.bucketArn],
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  );
  lb.setAttribute('access_logs.s3.enabled', 'true');
  lb.setAttribute('access_logs.s3.bucket', bucket.bucketName);
  lb.setAttribute('access_logs.s3.prefix', prefix);
  // The load balancer checks write access when the attribute is set: the policy must exist first.
  if (bucket.policy) lb.node.addDependency(bucket.policy);
}
