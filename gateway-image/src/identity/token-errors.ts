/**
 * Stable refusal codes for credentials, and the translation of jose's errors into them. Each code
 * has one client-safe reason; jose's own message stays in `cause` for the logs.
 */
import { errors } from 'jose';
import { AuthenticationError } from '../errors';

export const TokenErrorCode = {
  malformed: 'ERR_TOKEN_MALFORMED',
  issuerUnknown: 'ERR_TOKEN_ISSUER_UNKNOWN',
  algNone: 'ERR_TOKEN_ALG_NONE',
  algNotAllowed: 'ERR_TOKEN_ALG_NOT_ALLOWED',
  kidUnknown: 'ERR_TOKEN_KID_UNKNOWN',
  signatureInvalid: 'ERR_TOKEN_SIGNATURE_INVALID',
  expired: 'ERR_TOKEN_EXPIRED',
  notYetValid: 'ERR_TOKEN_NOT_YET_VALID',
  audienceInvalid: 'ERR_TOKEN_AUDIENCE_INVALID',
  claimsInvalid: 'ERR_TOKEN_CLAIMS_INVALID',
  revoked: 'ERR_TOKEN_REVOKED',
  issuerUnavailable: 'ERR_ISSUER_UNAVAILABLE',
} as const;
export type TokenErrorCode = (typeof TokenErrorCode)[keyof typeof TokenErrorCode];

const reasons: Record<TokenErrorCode, string> = {
  ERR_TOKEN_MALFORMED: 'the credential is not a well-formed signed JWT',
  ERR_TOKEN_ISSUER_UNKNOWN: 'the token was issued by an issuer this gateway does not trust',
  ERR_TOKEN_ALG_NONE: 'unsigned tokens (alg "none") are refused',
  ERR_TOKEN_ALG_NOT_ALLOWED: "the token's signing algorithm is not accepted for its issuer",
  ERR_TOKEN_KID_UNKNOWN: "the token's signing key is not published by its issuer",
  ERR_TOKEN_SIGNATURE_INVALID: 'the token signature is invalid',
  ERR_TOKEN_EXPIRED: 'the token has expired',
  ERR_TOKEN_NOT_YET_VALID: 'the token is not valid yet',
  ERR_TOKEN_AUDIENCE_INVALID: 'the token was not issued for this gateway (audience mismatch)',
  ERR_TOKEN_CLAIMS_INVALID: 'the token is missing a required claim or has an invalid one',
  ERR_TOKEN_REVOKED: 'the token has been revoked',
  ERR_ISSUER_UNAVAILABLE: "the issuer's signing keys could not be fetched; try again later",
};

export function tokenError(code: TokenErrorCode, cause?: unknown): AuthenticationError {
  return new AuthenticationError(code, reasons[code], cause === undefined ? undefined : { cause });
}

/** Maps anything thrown by jose's jwtVerify (and the remote key set) to a refusal. */
export function fromJoseError(err: unknown): AuthenticationError {
  if (err instanceof AuthenticationError) return err;
  if (err instanceof errors.JWTExpired) return tokenError(TokenErrorCode.expired, err);
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || err.claim === 'iat') return tokenError(TokenErrorCode.notYetValid, err);
    if (err.claim === 'aud') return tokenError(TokenErrorCode.audienceInvalid, err);
    if (err.claim === 'iss') return tokenError(TokenErrorCode.issuerUnknown, err);
    return tokenError(TokenErrorCode.claimsInvalid, err);
  }
  if (err instanceof errors.JWKSNoMatchingKey) return tokenError(TokenErrorCode.kidUnknown, err);
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return tokenError(TokenErrorCode.signatureInvalid, err);
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return tokenError(TokenErrorCode.algNotAllowed, err);
  }
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
    return tokenError(TokenErrorCode.issuerUnavailable, err);
  }
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) {
    return tokenError(TokenErrorCode.malformed, err);
  }
  // A failed JWKS fetch (connection refused, non-200) surfaces as a plain error: fail closed.
  return tokenError(TokenErrorCode.issuerUnavailable, err);
}
