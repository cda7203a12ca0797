import type { ParsedSecretRef } from '../config/secret-ref';
import { envProvider, fileProvider } from './local-providers';
import type { SecretProvider } from './provider';
import { SecretResolver } from './resolver';

/**
 * The gateway's resolver: env and file, plus the cloud providers. Cloud SDKs load on first use,
 * so a gateway whose config references no cloud secret never pays for them.
 */
export function createDefaultSecretResolver(): SecretResolver {
  return new SecretResolver([
    envProvider(),
    fileProvider(),
    lazy('aws-secretsmanager', () => {
      const m: typeof import('./aws-secrets-manager') = require('./aws-secrets-manager');
      return new m.AwsSecretsManagerProvider();
    }),
    lazy('gcp-secretmanager', () => {
      const m: typeof import('./gcp-secret-manager') = require('./gcp-secret-manager');
      return new m.GcpSecretManagerProvider();
    }),
  ]);
}

function lazy(scheme: string, load: () => SecretProvider): SecretProvider {
  let provider: SecretProvider | undefined;
  return {
    scheme,
    resolve(ref: ParsedSecretRef): Promise<string> {
      provider ??= load();
      return provider.resolve(ref);
    },
  };
}
