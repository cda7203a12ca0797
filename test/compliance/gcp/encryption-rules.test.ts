import { ComputeDisk } from '@cdktf/provider-google/lib/compute-disk';
import { ComputeInstanceTemplate } from '@cdktf/provider-google/lib/compute-instance-template';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { LoggingProjectBucketConfig } from '@cdktf/provider-google/lib/logging-project-bucket-config';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { TerraformVariable } from 'cdktf';
import { findingsOf, statuses } from './helpers';

const KEY = 'projects/p1/locations/europe-west3/keyRings/r/cryptoKeys/k';

describe('StorageBucketCmek', () => {
  it('passes a bucket with a default KMS key', () => {
    const f = findingsOf('StorageBucketCmek', (s) => {
      new StorageBucket(s, 'b', { name: 'b', location: 'EU', encryption: { defaultKmsKeyName: KEY } });
    });
    expect(statuses(f)).toEqual(['compliant']);
  });
  it('fails a bucket with Google-managed encryption', () => {
    const f = findingsOf('StorageBucketCmek', (s) => {
      new StorageBucket(s, 'b', { name: 'b', location: 'EU' });
    });
    expect(f).toEqual([
      expect.objectContaining({ status: 'non-compliant', resource: 'test/b', level: 'error' }),
    ]);
  });
});

describe('SecretManagerSecretCmek', () => {
  it('passes automatic replication with a customer-managed key', () => {
    const f = findingsOf('SecretManagerSecretCmek', (s) => {
      new SecretManagerSecret(s, 's', {
        secretId: 's',
        replication: { auto: { customerManagedEncryption: { kmsKeyName: KEY } } },
      });
    });
    expect(statuses(f)).toEqual(['compliant']);
  });
  it('fails a user-managed replica without a key', () => {
    const f = findingsOf('SecretManagerSecretCmek', (s) => {
      new SecretManagerSecret(s, 's', {
        secretId: 's',
        replication: {
          userManaged: {
            replicas: [
              { location: 'europe-west3', customerManagedEncryption: { kmsKeyName: KEY } },
              { location: 'europe-west4' },
            ],
          },
        },
      });
    });
    expect(f[0]).toMatchObject({ status: 'non-compliant', message: expect.stringContaining('europe-west4') });
  });
});

describe('ComputeDiskCmek', () => {
  it('passes a template whose disks use a KMS key', () => {
    const f = findingsOf('ComputeDiskCmek', (s) => {
      new ComputeInstanceTemplate(s, 't', {
        machineType: 'e2-small',
        disk: [{ sourceImage: 'cos', diskEncryptionKey: { kmsKeySelfLink: KEY } }],
      });
    });
    expect(statuses(f)).toEqual(['compliant']);
  });
  it('fails a standalone disk without one', () => {
    const f = findingsOf('ComputeDiskCmek', (s) => {
      new ComputeDisk(s, 'd', { name: 'd', zone: 'europe-west3-a' });
    });
    expect(statuses(f)).toEqual(['non-compliant']);
  });
});

describe('LoggingBucketCmek', () => {
  it('passes a log bucket with cmek_settings', () => {
    const f = findingsOf('LoggingBucketCmek', (s) => {
      new LoggingProjectBucketConfig(s, 'l', {
        project: 'p1',
        location: 'europe-west3',
        bucketId: 'l',
        cmekSettings: { kmsKeyName: KEY },
      });
    });
    expect(statuses(f)).toEqual(['compliant']);
  });
  it('fails a log bucket without', () => {
    const f = findingsOf('LoggingBucketCmek', (s) => {
      new LoggingProjectBucketConfig(s, 'l', { project: 'p1', location: 'europe-west3', bucketId: 'l' });
    });
    expect(statuses(f)).toEqual(['non-compliant']);
  });
});

describe('KmsCryptoKeyRotation', () => {
  it('passes a 90-day rotation', () => {
    const f = findingsOf('KmsCryptoKeyRotation', (s) => {
      new KmsCryptoKey(s, 'k', { name: 'k', keyRing: 'r', rotationPeriod: '7776000s' });
    });
    expect(statuses(f)).toEqual(['compliant']);
  });
  it('fails a one-year rotation and a key that never rotates', () => {
    const f = findingsOf('KmsCryptoKeyRotation', (s) => {
      new KmsCryptoKey(s, 'k', { name: 'k', keyRing: 'r', rotationPeriod: '31536000s' });
      new KmsCryptoKey(s, 'never', { name: 'never', keyRing: 'r' });
    });
    expect(statuses(f)).toEqual(['non-compliant', 'non-compliant']);
  });
  it('reports a rotation known only at apply as could-not-validate, never a pass', () => {
    const f = findingsOf('KmsCryptoKeyRotation', (s) => {
      const v = new TerraformVariable(s, 'period', { type: 'string' });
      new KmsCryptoKey(s, 'k', { name: 'k', keyRing: 'r', rotationPeriod: v.stringValue });
    });
    expect(statuses(f)).toEqual(['could-not-validate']);
  });
});
