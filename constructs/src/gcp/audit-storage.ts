import { LoggingProjectBucketConfig } from '@cdktf/provider-google/lib/logging-project-bucket-config';
import { LoggingProjectSink } from '@cdktf/provider-google/lib/logging-project-sink';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';

export interface AuditStorageProps {
  readonly project: string;
  readonly location: string;
  readonly namePrefix: string;
  readonly bucketName: string;
  readonly retentionDays: number;
  readonly logRetentionDays: number;
  readonly lockRetention: boolean;
  readonly storageKeyId: string;
  readonly logsKeyId: string;
  /** Prefix of the gateway VMs' names; the sink routes their log entries. */
  readonly instanceNamePrefix: string;
  /** The KMS grants the buckets need first. */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * Write-once storage for sealed audit segments and recordings, and a Cloud Logging bucket that
 * keeps the gateway's own logs as long. Both use customer-managed keys.
 */
export class AuditStorage extends Construct {
  readonly bucket: StorageBucket;
  readonly logBucket: LoggingProjectBucketConfig;
  readonly sink: LoggingProjectSink;

  constructor(scope: Construct, id: string, props: AuditStorageProps) {
    super(scope, id);
    this.bucket = new StorageBucket(this, 'bucket', {
      project: props.project,
      name: props.bucketName,
      location: props.location,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      versioning: { enabled: true },
      encryption: { defaultKmsKeyName: props.storageKeyId },
      // Locking is irreversible: it is a prop so a team can lock once the bucket holds real audit data.
      retentionPolicy: { retentionPeriod: props.retentionDays * 86400, isLocked: props.lockRetention },
      forceDestroy: false,
      dependsOn: props.dependsOn,
    });
    this.logBucket = new LoggingProjectBucketConfig(this, 'log-bucket', {
      project: props.project,
      location: props.location,
      bucketId: `${props.namePrefix}-gateway-logs`,
      retentionDays: props.logRetentionDays,
      locked: props.lockRetention,
      cmekSettings: { kmsKeyName: props.logsKeyId },
      dependsOn: props.dependsOn,
    });
    // Match by instance name rather than by a payload label: it holds even for lines the agent
    // could not parse as JSON (a crash trace), which are the ones an investigation needs most.
    const filter = `resource.type="gce_instance" AND labels."compute.googleapis.com/resource_name"=~"^${props.instanceNamePrefix}-"`;
    this.sink = new LoggingProjectSink(this, 'sink', {
      project: props.project,
      name: `${props.namePrefix}-gateway-logs`,
      destination: `logging.googleapis.com/${this.logBucket.id}`,
      filter,
      uniqueWriterIdentity: true,
    });
  }
}
