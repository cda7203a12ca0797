/**
 * Which strategy applies to which entity for one principal: the first masking profile whose
 * principals match; with none, every PHI value is redacted (the config's documented default).
 */
import type { z } from 'zod';
import type { masking } from '../config/policy';
import type { Principal } from '../identity/principal';
import { matchesPrincipal } from '../policy/principals';
import type { MaskingStrategy } from './strategies';

export type MaskingConfig = z.output<typeof masking>;

export interface MaskingPolicy {
  /** The profile that applied, for audit; undefined when none matched (redact everything). */
  readonly profile: string | undefined;
  strategyFor(entity: string): MaskingStrategy;
}

export function resolveMaskingPolicy(config: MaskingConfig, principal: Principal): MaskingPolicy {
  const profile = config.profiles.find((p) => matchesPrincipal(p.principals, principal));
  if (!profile) return { profile: undefined, strategyFor: () => 'redact' };
  const entities = new Map(Object.entries(profile.entities).map(([k, v]) => [k.toUpperCase(), v]));
  return {
    profile: profile.name,
    strategyFor: (entity) => entities.get(entity.toUpperCase()) ?? profile.default,
  };
}
