/**
 * Placeholders for deploy-time tokens, used only for the synth-time validation copy of the config
 * (see core/validate.ts). Each placeholder has the shape the schema expects where the token sits,
 * so validation fails for real mistakes only, never because a value is not known yet.
 */
import { Token } from 'aws-cdk-lib';
import type { Substitute } from '../core';

/** A syntactically valid Secrets Manager ARN that can never exist (account 000000000000). */
export const PLACEHOLDER_SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:000000000000:secret:warden-placeholder-AbCdEf';
/** A host name in the reserved `.invalid` TLD (RFC 2606). */
export const PLACEHOLDER_HOST = 'deploy-time-value.invalid';

// CDK encodes string tokens as "${Token[…]}" inside ordinary strings.
const STRING_TOKEN = /\$\{Token\[[^\]]*\]\}/g;

/** A storage sink's bucket, named at deploy; reports quote it, so it says what it stands for. */
export const PLACEHOLDER_BUCKET = '<audit bucket, named at deploy>';

export const substituteTokens: Substitute = (value, path) => {
  if (!Token.isUnresolved(value)) return value;
  if (path.at(-1) === 'bucket' && path.includes('sinks')) return PLACEHOLDER_BUCKET;
  // A whole URL known only at deploy (an EKS cluster's endpoint attribute) must still be a URL.
  if (path.at(-1) === 'url' && value.replace(STRING_TOKEN, '') === '') return `https://${PLACEHOLDER_HOST}`;
  return value.replace(STRING_TOKEN, (_token, offset: number) =>
    value.slice(0, offset).endsWith('aws-secretsmanager:') ? PLACEHOLDER_SECRET_ARN : PLACEHOLDER_HOST,
  );
};
