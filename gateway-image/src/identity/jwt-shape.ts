/**
 * Reading a compact JWS before its signature is checked, only to route it (which issuer, which
 * verifier). Nothing read here is trusted: every field is verified again with the signature.
 */
import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { TokenErrorCode, tokenError } from './token-errors';

/** Large enough for tokens with many groups, small enough that parsing cannot be abused. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

export interface UnverifiedJwt {
  readonly header: ProtectedHeaderParameters;
  readonly claims: JWTPayload;
}

export function peekJwt(token: string): UnverifiedJwt {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw tokenError(TokenErrorCode.malformed);
  }
  // Exactly three segments: a five-segment JWE or anything else is not a signed token we accept.
  if (token.split('.').length !== 3) throw tokenError(TokenErrorCode.malformed);
  let header: ProtectedHeaderParameters;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch (err) {
    throw tokenError(TokenErrorCode.malformed, err);
  }
  if (typeof header.alg !== 'string') throw tokenError(TokenErrorCode.malformed);
  if (header.alg.toLowerCase() === 'none') throw tokenError(TokenErrorCode.algNone);
  return { header, claims };
}
