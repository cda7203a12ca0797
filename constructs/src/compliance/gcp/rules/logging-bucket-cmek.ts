import { fail, ok, perResource } from '../rule';
import { block } from '../terraform-view';

/** Compliant: the Cloud Logging bucket stores entries under a customer-managed key. */
export const LoggingBucketCmek = perResource(
  'LoggingBucketCmek',
  ['google_logging_project_bucket_config'],
  (r) => {
    const key = block(r.body, 'cmek_settings')?.kms_key_name;
    return typeof key === 'string' && key.length > 0
      ? ok('log entries are encrypted with a customer-managed key')
      : fail('no cmek_settings.kms_key_name: logs use a Google-managed key');
  },
);
