import { parseSecretRef } from '../config/secret-ref';
import { SecretError } from '../errors';
import { envProvider, fileProvider } from './local-providers';
import type { SecretProvider } from './provider';

/**
 * Resolves secret references through the provider registered for their scheme. Errors name the
 * reference and never contain a secret value.
 */
export class SecretResolver {
  private readonly providers = new Map<string, SecretProvider>();

  constructor(providers: readonly SecretProvider[] = [envProvider(), fileProvider()]) {
    for (const p of providers) this.register(p);
  }

  register(provider: SecretProvider): this {
    this.providers.set(provider.scheme, provider);
    return this;
  }

  async resolve(ref: string): Promise<string> {
    let parsed: ReturnType<typeof parseSecretRef>;
    try {
      parsed = parseSecretRef(ref);
    } catch {
      throw new SecretError(
        'not a secret reference (expected env:, file:, aws-secretsmanager: or gcp-secretmanager:)',
      );
    }
    const provider = this.providers.get(parsed.scheme);
    if (!provider) {
      throw new SecretError(`no provider for ${parsed.scheme}: references is configured in this gateway`);
    }
    const value = await provider.resolve(parsed);
    if (parsed.jsonKey === undefined) return value;
    return pickJsonKey(value, parsed.jsonKey, ref);
  }
}

/** Cloud secrets often hold JSON (RDS rotation writes {username, password, …}); `#key` picks one field. */
export function pickJsonKey(value: string, key: string, ref: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    throw new SecretError(`secret ${ref.split('#')[0]} is not JSON, so #${key} cannot be read from it`);
  }
  const field = doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>)[key] : undefined;
  if (typeof field === 'string') return field;
  if (typeof field === 'number') return String(field);
  throw new SecretError(`secret ${ref.split('#')[0]} has no string field "${key}"`);
}
