/** Secrets Manager secrets as the gateway config references them. */
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** One field of a JSON secret. */
export interface SecretSelector {
  readonly secret: secretsmanager.ISecret;
  /**
   * Key of the JSON secret whose value is the credential.
   * @default - the whole secret string
   */
  readonly jsonKey?: string;
}

/** A secret (its whole value), or one field of a JSON secret. */
export type SecretInput = secretsmanager.ISecret | SecretSelector;

export function selectorOf(input: SecretInput): SecretSelector {
  return 'secret' in input ? input : { secret: input };
}

/** `aws-secretsmanager:<arn>[#key]`; the ARN may be a deploy-time token. */
export function secretRef(input: SecretInput): string {
  const { secret, jsonKey } = selectorOf(input);
  return `aws-secretsmanager:${secret.secretArn}${jsonKey ? `#${jsonKey}` : ''}`;
}
