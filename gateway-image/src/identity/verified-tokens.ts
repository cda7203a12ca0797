/**
 * Tokens whose signature and claims have already been verified, remembered so that a client
 * sending the same bearer token on every request (HTTP keep-alive, a driver's connection pool)
 * pays for one signature check, not one per request.
 *
 * What a hit may skip is only what cannot change while the entry lives: the signature, issuer,
 * audience and claims. An entry ends at the token's own expiry, and at the latest `maxAgeMs` after
 * it was verified, the time the issuer's published keys are trusted without refetching them (so a
 * key the issuer withdraws stops counting here as soon as it would in the verifier). Revocation is
 * not cached: the caller checks it on every hit. Refusals are never remembered.
 *
 * Entries are keyed by a SHA-256 of the token, so the cache holds no bearer token itself.
 */
import { createHash } from 'node:crypto';
import type { Principal } from './principal';

export interface VerifiedTokenCacheOptions {
  /** Most tokens remembered; the least recently verified go first. @default 10000 */
  readonly maxEntries?: number;
  /** Longest an entry is used after its verification, in ms. @default 600000 (the JWKS cache age) */
  readonly maxAgeMs?: number;
  /** The clock, in epoch ms. @default Date.now */
  readonly now?: () => number;
}

interface Entry {
  readonly principal: Principal;
  readonly until: number;
}

export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: VerifiedTokenCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxAgeMs = options.maxAgeMs ?? 600_000;
    this.now = options.now ?? Date.now;
    for (const [name, v] of Object.entries({ maxEntries: this.maxEntries, maxAgeMs: this.maxAgeMs })) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer`);
    }
  }

  /** The principal a still-valid entry holds for this exact token, if any. */
  get(token: string): Principal | undefined {
    if (this.maxEntries === 0) return undefined;
    const key = keyOf(token);
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    if (hit.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.principal;
  }

  /** Remembers a token that was just verified, until it expires (or `maxAgeMs` passes). */
  set(token: string, principal: Principal): void {
    if (this.maxEntries === 0) return;
    const now = this.now();
    const until = Math.min(principal.expiresAt.getTime(), now + this.maxAgeMs);
    if (until <= now) return;
    const key = keyOf(token);
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      // Maps keep insertion order: the first entry is the one verified longest ago.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { principal, until });
  }

  get size(): number {
    return this.entries.size;
  }
}

function keyOf(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}
