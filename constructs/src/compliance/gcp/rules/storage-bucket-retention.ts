import { SIX_YEARS_DAYS } from '../../../core';
import { fail, ok, perResource, unknown } from '../rule';
import { block, isUnresolved } from '../terraform-view';

/** Six years (45 CFR § 164.316(b)(2)(i)), counted as 2192 days so leap days never shorten it. */
export const SIX_YEARS_SECONDS = SIX_YEARS_DAYS * 24 * 3600;

/** Compliant: objects cannot be deleted or replaced for at least six years. */
export const StorageBucketRetention = perResource(
  'StorageBucketRetention',
  ['google_storage_bucket'],
  (r) => {
    const period = block(r.body, 'retention_policy')?.retention_period;
    if (period === undefined) return fail('no retention_policy: objects can be deleted at any time');
    if (isUnresolved(period)) return unknown('retention_period is only known at apply');
    const seconds = Number(period);
    if (!Number.isFinite(seconds)) return unknown(`retention_period "${String(period)}" is not a number`);
    return seconds >= SIX_YEARS_SECONDS
      ? ok(`objects are retained ${Math.floor(seconds / 86400)} days`)
      : fail(
          `objects are retained ${Math.floor(seconds / 86400)} days; at least ${SIX_YEARS_DAYS} (six years) required`,
        );
  },
);
