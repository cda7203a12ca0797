import type { WardenConfig } from '../config/schema';
import { TokenKeyring } from '../masking/token';

/**
 * The keyring of the `token` masking strategy: the current key and the earlier ones still
 * accepted, resolved once at start (masking decisions are synchronous). No key configured: the
 * token strategy falls back to redaction.
 */
export async function loadTokenKeyring(
  masking: WardenConfig['masking'],
  resolveSecret: (ref: string) => Promise<string>,
): Promise<TokenKeyring | undefined> {
  if (!masking.tokenKey) return undefined;
  return new TokenKeyring({
    key: await resolveSecret(masking.tokenKey),
    previous: await Promise.all(masking.previousTokenKeys.map(resolveSecret)),
  });
}
