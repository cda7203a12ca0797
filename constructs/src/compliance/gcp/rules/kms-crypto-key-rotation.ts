import { fail, na, ok, perResource, unknown } from '../rule';
import { isUnresolved } from '../terraform-view';

export const MAX_ROTATION_SECONDS = 90 * 24 * 3600;

/** Compliant: a symmetric key rotates automatically at least every 90 days. */
export const KmsCryptoKeyRotation = perResource('KmsCryptoKeyRotation', ['google_kms_crypto_key'], (r) => {
  const purpose = r.body.purpose ?? 'ENCRYPT_DECRYPT';
  if (purpose !== 'ENCRYPT_DECRYPT') return na(`purpose ${String(purpose)} keys cannot rotate automatically`);
  const period = r.body.rotation_period;
  if (period === undefined) return fail('no rotation_period: the key never rotates');
  if (isUnresolved(period)) return unknown('rotation_period is only known at apply');
  const m = /^(\d+(?:\.\d+)?)s$/.exec(String(period));
  if (!m) return unknown(`rotation_period "${String(period)}" is not in seconds ("7776000s")`);
  const seconds = Number(m[1]);
  return seconds <= MAX_ROTATION_SECONDS
    ? ok(`rotates every ${Math.round(seconds / 86400)} days`)
    : fail(`rotates every ${Math.round(seconds / 86400)} days; at most 90 required`);
});
