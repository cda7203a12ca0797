import type { ParsedSecretRef } from '../config/secret-ref';

/** Resolves secret references of one scheme (env, file, aws-secretsmanager, gcp-secretmanager). */
export interface SecretProvider {
  readonly scheme: string;
  resolve(ref: ParsedSecretRef): Promise<string>;
}
