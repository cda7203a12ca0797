import { fail, ok, perResource } from '../rule';
import { block, blocks } from '../terraform-view';

/** Compliant: every replica of the secret is encrypted with a customer-managed key. */
export const SecretManagerSecretCmek = perResource(
  'SecretManagerSecretCmek',
  ['google_secret_manager_secret'],
  (r) => {
    const replication = block(r.body, 'replication');
    const auto = block(replication, 'auto');
    if (auto) {
      return hasKey(block(auto, 'customer_managed_encryption'))
        ? ok('automatic replication with a customer-managed key')
        : fail('automatic replication without customer_managed_encryption');
    }
    const replicas = blocks(block(replication, 'user_managed'), 'replicas');
    if (replicas.length === 0) return fail('no replication block with customer_managed_encryption');
    const missing = replicas.filter((rep) => !hasKey(block(rep, 'customer_managed_encryption')));
    return missing.length === 0
      ? ok(`all ${replicas.length} replicas use a customer-managed key`)
      : fail(`replicas without a customer-managed key: ${missing.map((m) => String(m.location)).join(', ')}`);
  },
);

function hasKey(cme: Record<string, unknown> | undefined): boolean {
  return typeof cme?.kms_key_name === 'string' && cme.kms_key_name.length > 0;
}
