/** Turning verified claims into the parts of a Principal: groups and human/agent kind. */
import type { JWTPayload } from 'jose';
import type { PrincipalKind } from './principal';
import { TokenErrorCode, tokenError } from './token-errors';

export interface KindRule {
  /** Claim that states the kind explicitly. */
  readonly kindClaim: string;
  /** Values of `kindClaim` that mean agent; any other value means human. */
  readonly agentClaimValues: readonly string[];
  /** Kind when nothing in the token says otherwise. */
  readonly defaultKind: PrincipalKind;
  /** A token whose subject is the client itself (client_credentials) has no end user: an agent. */
  readonly agentWhenSubjectIsClient: boolean;
}

/**
 * Agent wins over human whenever any signal says agent: agents are the more restricted class, so an
 * ambiguous token must never gain the broader human rights.
 */
export function classifyKind(claims: JWTPayload, rule: KindRule): PrincipalKind {
  const stated = claims[rule.kindClaim];
  if (typeof stated === 'string' && rule.agentClaimValues.includes(stated)) return 'agent';
  if (rule.agentWhenSubjectIsClient && claims.sub !== undefined) {
    const clientId = claims.client_id ?? claims.azp;
    if (clientId === claims.sub) return 'agent';
  }
  if (typeof stated === 'string') return 'human';
  return rule.defaultKind;
}

/** Groups from one claim: absent means none; a single string is one group; anything else is refused. */
export function readGroups(claims: JWTPayload, claim: string): string[] {
  const value = claims[claim];
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((g) => typeof g === 'string')) return [...value];
  throw tokenError(TokenErrorCode.claimsInvalid);
}

/** The subject must be a non-empty string; everything downstream (grants, audit) keys on it. */
export function readSubject(claims: JWTPayload): string {
  if (typeof claims.sub !== 'string' || claims.sub.length === 0)
    throw tokenError(TokenErrorCode.claimsInvalid);
  return claims.sub;
}

/** `exp` is required and numeric (jose has already checked it is in the future). */
export function readExpiry(claims: JWTPayload): Date {
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
    throw tokenError(TokenErrorCode.claimsInvalid);
  }
  return new Date(claims.exp * 1000);
}
