/**
 * Strings in the rendered config that still hold cdktf tokens (`${TfToken[TOKEN.12]}`): a secret's
 * project, a database's private IP. Terraform fills them in at apply.
 */
import { substituteStrings } from '../core';

const TOKEN = /\$\{TfToken\[[^\]]+\]\}/g;

/**
 * For synth-time validation only: every token becomes `placeholder`, which fits each slot the
 * gateway config has for them (a host name, a segment of a Secret Manager name, a bucket name).
 * The config that reaches the VM keeps the tokens.
 */
export function placeholderFor(value: string): string {
  return value.replace(TOKEN, 'placeholder');
}

/**
 * Makes the rendered config safe to embed as a Terraform string: literal `${` and `%{` written by
 * users (a policy reason, a regular expression) are escaped so Terraform does not read them as
 * templates, while cdktf tokens stay tokens and become references.
 */
export function escapeForTerraform(config: unknown): unknown {
  return substituteStrings(config, (value) => {
    const parts = value.split(TOKEN);
    const tokens = value.match(TOKEN) ?? [];
    return parts.map((p, i) => p.replace(/\$\{/g, '$${').replace(/%\{/g, '%%{') + (tokens[i] ?? '')).join('');
  });
}
