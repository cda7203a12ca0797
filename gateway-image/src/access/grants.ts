import type { z } from 'zod';
import type { access, accessGrant } from '../config/policy';
import type { Principal } from '../identity/principal';
import { describePrincipal, matchesPrincipal } from '../policy/principals';

export type AccessConfig = z.output<typeof access>;
export type AccessGrantConfig = z.output<typeof accessGrant>;

export type AccessResult =
  | {
      readonly allowed: true;
      readonly grant: string;
      readonly expiresAt?: Date;
      /** Aborted when a just-in-time grant is revoked: live sessions on it end then. */
      readonly revoked?: AbortSignal;
    }
  | { readonly allowed: false; readonly reason: string };

/** A grant that lets a principal open sessions on a connection. */
export interface Grant {
  readonly name: string;
  /** Absent for standing grants; a session on a just-in-time grant ends at this time. */
  readonly expiresAt?: Date;
  /** Aborted when the grant is revoked before it expires. @default never revoked */
  readonly revoked?: AbortSignal;
}

/**
 * Somewhere grants come from besides the config: the seam for just-in-time grants, which the
 * approvals store implements (a grant approved for a principal, a connection and a time window).
 * Synchronous so the access check stays synchronous; a shared store keeps a local cache fresh
 * (for instance through LISTEN/NOTIFY) rather than being asked per session.
 */
export interface GrantSource {
  /** Grants that currently give `principal` access to `connection`; expired grants excluded. */
  grantsFor(principal: Principal, connection: string, now: Date): readonly Grant[];
}

export interface AccessChecker {
  check(principal: Principal, connection: string): AccessResult;
}

export interface AccessCheckerOptions {
  /** Further grant sources, consulted after the standing grants. @default none */
  readonly sources?: readonly GrantSource[];
  /** The clock, for just-in-time grant expiry. @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * Standing grants from the config, then any extra sources. The first standing grant whose
 * principal selector and connection list match wins (standing grants do not expire); otherwise
 * the just-in-time grant that lasts longest. No grant: refused, saying who asked for what.
 */
export function createAccessChecker(config: AccessConfig, options: AccessCheckerOptions = {}): AccessChecker {
  const grants = config.grants ?? [];
  const sources = options.sources ?? [];
  const now = options.now ?? (() => new Date());
  const jit = config.justInTime !== undefined;
  return {
    check(principal, connection) {
      const standing = grants.find(
        (g) =>
          (g.connections.includes('*') || g.connections.includes(connection)) &&
          matchesPrincipal(g.principals, principal),
      );
      if (standing) return { allowed: true, grant: standing.name };
      const at = now();
      let best: Grant | undefined;
      for (const source of sources) {
        for (const g of source.grantsFor(principal, connection, at)) {
          if (g.expiresAt !== undefined && g.expiresAt.getTime() <= at.getTime()) continue;
          if (!best || later(g.expiresAt, best.expiresAt)) best = g;
        }
      }
      if (best) {
        return {
          allowed: true,
          grant: best.name,
          ...(best.expiresAt ? { expiresAt: best.expiresAt } : {}),
          ...(best.revoked ? { revoked: best.revoked } : {}),
        };
      }
      const next = jit
        ? 'ask an administrator for a grant or request just-in-time access'
        : 'ask an administrator for a grant';
      return {
        allowed: false,
        reason: `no grant gives ${describePrincipal(principal)} access to connection "${connection}"; ${next}`,
      };
    },
  };
}

/** Whether expiry `a` is later than `b` (no expiry is latest). */
function later(a: Date | undefined, b: Date | undefined): boolean {
  if (a === undefined) return b !== undefined;
  return b !== undefined && a.getTime() > b.getTime();
}
