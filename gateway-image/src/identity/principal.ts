/** Who is behind a request, as established by identity. Protocol-neutral. */
export type PrincipalKind = 'human' | 'agent';

export interface Principal {
  /** Stable subject identifier, `sub` of the verified token. */
  readonly subject: string;
  readonly kind: PrincipalKind;
  readonly groups: readonly string[];
  /** The OIDC issuer that vouched for the subject (for Warden session tokens: the original issuer). */
  readonly issuer: string;
  /** When the credential stops being valid; sessions end at this time. */
  readonly expiresAt: Date;
  /** How the principal authenticated: an OIDC token or a Warden session token. */
  readonly via: 'oidc' | 'session-token';
  /** For session tokens: the token id (jti), so revocation can be checked and audited. */
  readonly tokenId?: string;
}

/** The audit representation of a principal: what an auditor needs, nothing secret. */
export function principalSummary(p: Principal): {
  subject: string;
  kind: PrincipalKind;
  issuer: string;
  groups: string[];
} {
  return { subject: p.subject, kind: p.kind, issuer: p.issuer, groups: [...p.groups] };
}
