import { LoggingProjectBucketConfig } from '@cdktf/provider-google/lib/logging-project-bucket-config';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { findingsOf, statuses } from './helpers';

const SIX_YEARS = 2192 * 86400;

describe('StorageBucketRetention', () => {
  it('passes six years', () => {
    const f = findingsOf('StorageBucketRetention', (s) => {
      new StorageBucket(s, 'b', {
        name: 'b',
        location: 'EU',
        retentionPolicy: { retentionPeriod: SIX_YEARS },
      });
    });
    expect(statuses(f)).toEqual(['compliant']);
  });
  it('fails one year and a bucket without a policy', () => {
    const f = findingsOf('StorageBucketRetention', (s) => {
      new StorageBucket(s, 'b', {
        name: 'b',
        location: 'EU',
        retentionPolicy: { retentionPeriod: 365 * 86400 },
      });
      new StorageBucket(s, 'c', { name: 'c', location: 'EU' });
    });
    expect(statuses(f)).toEqual(['non-compliant', 'non-compliant']);
  });
});

describe('StorageBucketRetentionLocked', () => {
  it('passes a locked policy', () => {
    const f = findingsOf('StorageBucketRetentionLocked', (s) => {
      new StorageBucket(s, 'b', {
        name: 'b',
        location: 'EU',
        retentionPolicy: { retentionPeriod: SIX_YEARS, isLocked: true },
      });
    });
    expect(statuses(f)).toEqual(['compliant']);
  });
  it('warns on an unlocked policy', () => {
    const f = findingsOf('StorageBucketRetentionLocked', (s) => {
      new StorageBucket(s, 'b', {
        name: 'b',
        location: 'EU',
        retentionPolicy: { retentionPeriod: SIX_YEARS },
      });
    });
    expect(f).toEqual([expect.objectContaining({ status: 'non-compliant', level: 'warning' })]);
  });
});

describe('LoggingBucketRetention', () => {
  it('passes 2192 days', () => {
    const f = findingsOf('LoggingBucketRetention', (s) => {
      new LoggingProjectBucketConfig(s, 'l', {
        project: 'p1',
        location: 'europe-west3',
        bucketId: 'l',
        retentionDays: 2192,
      });
    });
    expect(statuses(f)).toEqual(['compliant']);
  });
  it('fails the 30-day default', () => {
    const f = findingsOf('LoggingBucketRetention', (s) => {
      new LoggingProjectBucketConfig(s, 'l', { project: 'p1', location: 'europe-west3', bucketId: 'l' });
    });
    expect(statuses(f)).toEqual(['non-compliant']);
  });
});
