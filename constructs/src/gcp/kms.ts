import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { DataGoogleStorageProjectServiceAccount } from '@cdktf/provider-google/lib/data-google-storage-project-service-account';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring';
import { Construct } from 'constructs';

export interface GatewayKeysProps {
  readonly project: string;
  /** Region of the keys; buckets, log buckets and disks using them must be in it. */
  readonly location: string;
  readonly namePrefix: string;
  /** Rotation period in days, at most 90. */
  readonly rotationDays: number;
  /** Service agent of Cloud Logging (from the project's CMEK settings). */
  readonly loggingServiceAccount: string;
}

/**
 * One key ring and one key per kind of data (audit storage, secrets, disks, logs), so revoking one
 * does not take down the others, each granted to exactly the Google service agent that uses it.
 */
export class GatewayKeys extends Construct {
  readonly keyRing: KmsKeyRing;
  readonly storageKey: KmsCryptoKey;
  readonly secretsKey: KmsCryptoKey;
  readonly diskKey: KmsCryptoKey;
  readonly logsKey: KmsCryptoKey;
  /** Grants the service agents need before a resource can use its key; depend on these. */
  readonly grants: KmsCryptoKeyIamMember[] = [];

  constructor(scope: Construct, id: string, props: GatewayKeysProps) {
    super(scope, id);
    if (!(props.rotationDays >= 1 && props.rotationDays <= 90)) {
      throw new Error(`keyRotationDays must be between 1 and 90, got ${props.rotationDays}`);
    }
    const rotationPeriod = `${props.rotationDays * 86400}s`;
    this.keyRing = new KmsKeyRing(this, 'ring', {
      project: props.project,
      name: `${props.namePrefix}-keys`,
      location: props.location,
    });
    const key = (name: string) =>
      new KmsCryptoKey(this, name, {
        name: `${props.namePrefix}-${name}`,
        keyRing: this.keyRing.id,
        rotationPeriod,
      });
    this.storageKey = key('storage');
    this.secretsKey = key('secrets');
    this.diskKey = key('disks');
    this.logsKey = key('logs');

    const project = new DataGoogleProject(this, 'project', { projectId: props.project });
    const storageAgent = new DataGoogleStorageProjectServiceAccount(this, 'gcs-agent', {
      project: props.project,
    });
    const agent = (service: string) =>
      `serviceAccount:service-${project.number}@${service}.iam.gserviceaccount.com`;
    this.grant('storage', this.storageKey, `serviceAccount:${storageAgent.emailAddress}`);
    this.grant('secrets', this.secretsKey, agent('gcp-sa-secretmanager'));
    this.grant('disks', this.diskKey, agent('compute-system'));
    this.grant('logs', this.logsKey, `serviceAccount:${props.loggingServiceAccount}`);
  }

  private grant(id: string, key: KmsCryptoKey, member: string): void {
    this.grants.push(
      new KmsCryptoKeyIamMember(this, `${id}-agent`, {
        cryptoKeyId: key.id,
        role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter',
        member,
      }),
    );
  }
}
