/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677) client side for the upstream leg, delegated to node-postgres'
 * implementation (a dependency already): it does SASLprep, nonce checks, server-signature
 * verification and SCRAM-SHA-256-PLUS channel binding (tls-server-end-point) over TLS.
 * https://www.postgresql.org/docs/current/sasl-authentication.html
 */
import type { TLSSocket } from 'node:tls';

export interface ScramSession {
  readonly mechanism: string;
  /** The next message to send (client-first, then client-final). */
  readonly response: string;
}

interface PgSasl {
  startSession(mechanisms: string[], stream?: TLSSocket): ScramSession;
  continueSession(
    session: ScramSession,
    password: string,
    serverData: string,
    stream?: TLSSocket,
  ): Promise<void>;
  finalizeSession(session: ScramSession, serverData: string): void;
}

// pg ships no type declarations for this module; the interface above is the part we rely on.
const sasl = require('pg/lib/crypto/sasl') as PgSasl;

/** Picks SCRAM-SHA-256-PLUS when TLS is up and the server offers it, else SCRAM-SHA-256. */
export function scramStart(mechanisms: string[], tls: TLSSocket | undefined): ScramSession {
  return sasl.startSession(mechanisms, tls);
}

/** Consumes server-first-message; `session.response` becomes client-final-message. */
export function scramContinue(
  session: ScramSession,
  password: string,
  serverFirst: string,
  tls: TLSSocket | undefined,
): Promise<void> {
  return sasl.continueSession(session, password, serverFirst, tls);
}

/** Verifies server-final-message (the server's signature): a server that lacks the verifier fails. */
export function scramFinish(session: ScramSession, serverFinal: string): void {
  sasl.finalizeSession(session, serverFinal);
}
