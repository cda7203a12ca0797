/**
 * What the Postgres adapter needs from the rest of the gateway, as one narrow interface the lead
 * wires to identity, access, inspect, policy, approvals, audit and secrets. The adapter imports
 * none of those modules: it owns bytes and calls these hooks at named points of the session.
 */
import type { PostgresConnectionConfig } from '../../config/connections';
import type { Principal } from '../../identity/principal';
import type { SqlFacts } from '../../inspect/facts';
import type { ColumnMasker } from '../../masking/column-masker';
import type { GateAuditInput, GateHooks } from '../gate';
import type { LiveSession, LiveSessionInfo } from '../live-session';

export type AccessResult =
  | {
      readonly allowed: true;
      /** When a just-in-time grant ends; the session is closed then. @default no expiry */
      readonly expiresAt?: Date;
      /** Aborted when the grant is revoked: the session is closed then. @default never */
      readonly revoked?: AbortSignal;
    }
  | {
      readonly allowed: false;
      /** Shown to the client; must not contain secrets. */
      readonly reason: string;
      /** 'no-grant' → SQLSTATE 42501, 'not-authorized' → 28000. @default 'no-grant' */
      readonly kind?: 'no-grant' | 'not-authorized';
    };

export type PostgresAuditType =
  | 'session.start'
  | 'session.refused'
  | 'query.attempt'
  | 'query.result'
  /** What one result (or notice) had masked: counts per column, entity and strategy, never values. */
  | 'mask'
  /** The upstream ran something other than what was inspected (a tag or a lexing setting); the session ends. */
  | 'inspection.mismatch'
  | 'session.end';

export type PostgresAuditInput = GateAuditInput<PostgresAuditType>;

/** What a session needs to mask results for one principal on one connection. */
export interface SessionMasking {
  /** Policy, classification, catalog and detectors, bound to this principal and connection. */
  readonly columns: ColumnMasker;
  /** The masking profile that applied (for the `mask` audit event); undefined: the redact-all default. */
  readonly profile: string | undefined;
}

export interface PostgresSessionHooks extends GateHooks<SqlFacts, PostgresAuditInput> {
  /** Verifies the token the client sent as its password. Throws AuthenticationError (reason is shown). */
  authenticate(token: string): Promise<Principal>;
  /**
   * The hooks for one client connection from `address` (failed logins count per source).
   * @default these hooks, for every client
   */
  forClient?(address: string | undefined): PostgresSessionHooks;
  /** Whether this principal may use this connection now. */
  authorize(principal: Principal, connection: string): AccessResult | Promise<AccessResult>;
  resolveConnection(name: string): PostgresConnectionConfig | undefined;
  /** Resolves a secret reference; called on every upstream connect so rotation needs no restart. */
  resolveSecret(ref: string): Promise<string>;
  /**
   * SQL → facts. Throws an error with `code: 'ERR_SQL_SYNTAX'` and `position` (1-based character
   * offset, as PostgreSQL reports it) for a syntax error; any other throw denies the statement.
   */
  inspect(sql: string, searchPath: readonly string[]): SqlFacts;
  /**
   * Result masking for a session, asked once after login and before any statement is relayed.
   * Rejects (the session is refused) when masking cannot be set up, e.g. the catalog cannot be read.
   * @default absent, or resolving undefined: results are relayed unmasked
   */
  masking?(principal: Principal, connection: PostgresConnectionConfig): Promise<SessionMasking | undefined>;
  /**
   * The session is logged in and relaying: the gateway lists it as live. Its `terminated` signal
   * ends the session (FATAL 57P01 naming the administrator); `closed` is called once it ends.
   * @default absent: sessions are not listed and cannot be terminated
   */
  opened?(info: LiveSessionInfo): LiveSession;
  /**
   * The server-level privileges of the role a connection's upstream login uses (role-check.ts);
   * empty for a least-privilege role. Asked at login for connections marked phi; may be cached.
   * Rejects when they cannot be read (the session is refused).
   * @default absent: not checked
   */
  upstreamRole?(config: PostgresConnectionConfig): Promise<readonly string[]>;
}
