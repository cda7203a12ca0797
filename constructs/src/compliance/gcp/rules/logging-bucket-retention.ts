import { SIX_YEARS_DAYS } from '../../../core';
import { fail, ok, perResource, unknown } from '../rule';
import { flag, isUnresolved } from '../terraform-view';

/** Compliant: the log bucket keeps entries at least six years; it says whether the bucket is locked. */
export const LoggingBucketRetention = perResource(
  'LoggingBucketRetention',
  ['google_logging_project_bucket_config'],
  (r) => {
    const days = r.body.retention_days;
    if (days === undefined) return fail('no retention_days: Cloud Logging keeps entries 30 days');
    if (isUnresolved(days)) return unknown('retention_days is only known at apply');
    const locked = flag(r.body.locked) === true ? ', locked' : ', not locked';
    return Number(days) >= SIX_YEARS_DAYS
      ? ok(`entries are retained ${Number(days)} days${locked}`)
      : fail(`entries are retained ${Number(days)} days; at least ${SIX_YEARS_DAYS} (six years) required`);
  },
);
