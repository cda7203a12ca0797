import { readFile } from 'node:fs/promises';
import type { ParsedSecretRef } from '../config/secret-ref';
import { SecretError } from '../errors';
import type { SecretProvider } from './provider';

/** `env:NAME`: the value of an environment variable of the gateway process. */
export function envProvider(env: NodeJS.ProcessEnv = process.env): SecretProvider {
  return {
    scheme: 'env',
    async resolve(ref: ParsedSecretRef): Promise<string> {
      const value = env[ref.location];
      if (value === undefined || value === '') {
        throw new SecretError(
          `environment variable ${ref.location} is not set (referenced as env:${ref.location})`,
        );
      }
      return value;
    },
  };
}

/** `file:/path`: a file's contents, read on every resolve so a rotated file is picked up. */
export function fileProvider(): SecretProvider {
  return {
    scheme: 'file',
    async resolve(ref: ParsedSecretRef): Promise<string> {
      try {
        // One trailing newline is an editor artefact, not part of the secret.
        return (await readFile(ref.location, 'utf8')).replace(/\r?\n$/, '');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
        throw new SecretError(`cannot read secret file ${ref.location} (${code})`, { cause: err });
      }
    },
  };
}
