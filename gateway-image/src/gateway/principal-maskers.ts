import type { Principal } from '../identity/principal';
import { createDetectors } from '../masking/detectors';
import { type MaskingPolicy, resolveMaskingPolicy } from '../masking/profile';
import { applyStrategy } from '../masking/strategies';
import { createTextMasker, type TextMasker } from '../masking/text-masker';
import type { TokenKeyring } from '../masking/token';
import type { HttpMasker } from '../protocols/http/hooks';
import type { GatewayServices } from './services';
import { loadTokenKeyring } from './token-keys';

/** Masking for one principal: the profile's policy, its free-text masker, and the token keys. */
export interface PrincipalMasking {
  readonly policy: MaskingPolicy;
  readonly text: TextMasker;
  readonly tokens: TokenKeyring | undefined;
}

/**
 * Builds the per-principal masking the SSH and HTTP paths share. The token key is resolved here,
 * once, because the adapters ask for a masker synchronously on their hot path; maskers are cached
 * per masking profile, since the profile alone decides what a principal's masker does.
 */
export async function principalMaskers(
  services: GatewayServices,
): Promise<(principal: Principal) => PrincipalMasking> {
  const { masking } = services.config;
  const detectors = masking.detectors.enabled
    ? createDetectors({ mrnPatterns: masking.detectors.mrnPatterns })
    : [];
  const tokens = await loadTokenKeyring(masking, (ref) => services.secrets.resolve(ref));
  const byProfile = new Map<string, PrincipalMasking>();
  return (principal) => {
    const policy = resolveMaskingPolicy(masking, principal);
    const key = policy.profile ?? '';
    let m = byProfile.get(key);
    if (!m) {
      m = { policy, text: createTextMasker({ policy, detectors, tokens }), tokens };
      byProfile.set(key, m);
    }
    return m;
  };
}

/** Connections that hold no PHI are relayed unmasked, as Postgres connections without PHI are. */
export const PASS_THROUGH: TextMasker = { mask: (text) => ({ text, counts: {} }) };

/** A principal's masking of HTTP and Kubernetes bodies: free text, and classified JSON fields by strategy. */
export function fieldMasker({ policy, text, tokens }: PrincipalMasking): HttpMasker {
  const maskText = (s: string) => text.mask(s).text;
  return {
    mask: (s) => text.mask(s),
    maskField: (entity, value) =>
      applyStrategy(policy.strategyFor(entity), entity, value, { tokens, maskText }),
  };
}
