/**
 * 164.312(d): a principal is who it claims to be. Tokens are verified against keys fetched from
 * each issuer over HTTPS (an issuer over plain HTTP could have its keys replaced in transit), for
 * named audiences, and Warden's own session tokens are signed with a key held in the cloud
 * secret store.
 */
import type { WardenConfig } from '../../core';
import { fromProblems, type RuleOutcome } from './outcome';
import { type GatewayConfigRule, inSecretStore } from './rule';

export function checkAuthentication(config: WardenConfig): RuleOutcome {
  const problems: string[] = [];
  for (const i of config.identity.issuers) {
    if (!i.issuer.startsWith('https://')) problems.push(`issuer ${i.issuer} is not https`);
    if (i.audiences.length === 0) problems.push(`issuer ${i.issuer} names no audience`);
  }
  const tokens = config.identity.sessionTokens;
  if (tokens && !inSecretStore(tokens.signingKey))
    problems.push('identity.sessionTokens.signingKey is not in AWS Secrets Manager or Google Secret Manager');
  return fromProblems(
    problems,
    `tokens verified against ${config.identity.issuers.length} HTTPS issuer(s)${tokens ? '; session tokens signed with a key in the secret store' : ''}`,
  );
}

export const GatewayOidcAuthentication: GatewayConfigRule = {
  id: 'GatewayOidcAuthentication',
  level: 'error',
  hipaaControl: '164.312(d)',
  info: "Tokens are verified against HTTPS issuers' keys for named audiences; session tokens are signed with a key in the secret store.",
  explanation:
    'Authentication is only as strong as the keys tokens are checked against and the channel those keys arrive on.',
  check: checkAuthentication,
};
