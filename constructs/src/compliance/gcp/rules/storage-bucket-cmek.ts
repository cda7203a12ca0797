import { fail, ok, perResource } from '../rule';
import { block } from '../terraform-view';

/** Compliant: the bucket encrypts new objects with a customer-managed Cloud KMS key by default. */
export const StorageBucketCmek = perResource('StorageBucketCmek', ['google_storage_bucket'], (r) => {
  const key = block(r.body, 'encryption')?.default_kms_key_name;
  return typeof key === 'string' && key.length > 0
    ? ok('objects are encrypted with a customer-managed key')
    : fail('no encryption.default_kms_key_name: objects use a Google-managed key');
});
