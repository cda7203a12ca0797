import { fail, ok, perResource, unknown } from '../rule';
import { block, flag } from '../terraform-view';

/**
 * Compliant: the retention policy is locked, so nobody (the project owner included) can shorten or
 * remove it. Locking is irreversible, hence a warning: teams lock once the bucket is in production.
 */
export const StorageBucketRetentionLocked = perResource(
  'StorageBucketRetentionLocked',
  ['google_storage_bucket'],
  (r) => {
    const policy = block(r.body, 'retention_policy');
    if (!policy) return fail('no retention_policy to lock');
    const locked = flag(policy.is_locked);
    if (locked === 'unresolved') return unknown('retention_policy.is_locked is only known at apply');
    return locked ? ok('retention policy is locked') : fail('retention policy is not locked (is_locked)');
  },
);
