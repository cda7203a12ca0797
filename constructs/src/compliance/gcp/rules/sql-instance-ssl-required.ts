import { fail, ok, perResource, unknown } from '../rule';
import { block, isUnresolved } from '../terraform-view';

const ENCRYPTED = ['ENCRYPTED_ONLY', 'TRUSTED_CLIENT_CERTIFICATE_REQUIRED'];

/** Compliant: the instance refuses unencrypted connections (ssl_mode). */
export const SqlInstanceSslRequired = perResource(
  'SqlInstanceSslRequired',
  ['google_sql_database_instance'],
  (r) => {
    const mode = block(block(r.body, 'settings'), 'ip_configuration')?.ssl_mode;
    if (isUnresolved(mode)) return unknown('ssl_mode is only known at apply');
    return typeof mode === 'string' && ENCRYPTED.includes(mode)
      ? ok(`ssl_mode ${mode}`)
      : fail(`ssl_mode is ${mode === undefined ? 'unset (unencrypted connections allowed)' : String(mode)}`);
  },
);
