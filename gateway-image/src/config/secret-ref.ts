import { z } from 'zod';

/**
 * A reference to a secret, never the secret itself. The gateway resolves references at start and
 * again whenever it opens a new upstream connection, so rotation needs no restart.
 *   env:NAME                                                  an environment variable
 *   file:/abs/path                                            a file's contents (trailing newline trimmed)
 *   aws-secretsmanager:<secret arn>[#jsonKey]                 AWS Secrets Manager
 *   gcp-secretmanager:projects/<p>/secrets/<s>/versions/<v>[#jsonKey]   GCP Secret Manager
 */
export const SECRET_REF_PATTERN =
  /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+|aws-secretsmanager:arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^#\s]+(#[^#\s]+)?|gcp-secretmanager:projects\/[^/\s]+\/secrets\/[^/\s]+\/versions\/[^/#\s]+(#[^#\s]+)?)$/;

export const secretRef = z
  .string()
  .regex(SECRET_REF_PATTERN, {
    message:
      'expected a secret reference: env:NAME, file:/absolute/path, aws-secretsmanager:<arn>[#key] or gcp-secretmanager:projects/<p>/secrets/<s>/versions/<v>[#key]',
  })
  .describe(
    'A secret reference (never the secret): env:NAME, file:/absolute/path, aws-secretsmanager:<arn>[#jsonKey], gcp-secretmanager:projects/<p>/secrets/<s>/versions/<v>[#jsonKey].',
  );

export type SecretRef = z.infer<typeof secretRef>;

export interface ParsedSecretRef {
  readonly scheme: 'env' | 'file' | 'aws-secretsmanager' | 'gcp-secretmanager';
  /** Variable name, file path, secret ARN or GCP version resource name. */
  readonly location: string;
  /** For cloud secrets holding JSON: the key whose value is the secret. */
  readonly jsonKey?: string;
}

export function parseSecretRef(ref: string): ParsedSecretRef {
  if (!SECRET_REF_PATTERN.test(ref)) throw new TypeError(`not a secret reference: ${ref.slice(0, 80)}`);
  const colon = ref.indexOf(':');
  const scheme = ref.slice(0, colon) as ParsedSecretRef['scheme'];
  const rest = ref.slice(colon + 1);
  if (scheme === 'env' || scheme === 'file') return { scheme, location: rest };
  const hash = rest.indexOf('#');
  return hash < 0
    ? { scheme, location: rest }
    : { scheme, location: rest.slice(0, hash), jsonKey: rest.slice(hash + 1) };
}
