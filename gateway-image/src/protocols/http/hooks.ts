/**
 * What the HTTP adapter needs from the rest of the gateway, as one narrow interface the lead wires
 * to identity, access, policy, approvals, audit, masking, recording and secrets. The adapter
 * imports none of those modules: it owns requests and bytes and calls these hooks at named points
 * of each exchange (authenticate → authorize → inspect → decide → awaitApproval → audit attempt →
 * forward → mask → audit result → record).
 */
import type { Principal } from '../../identity/principal';
import type { HttpFacts } from '../../inspect/facts';
import type { TextMasker } from '../../masking/text-masker';
import type { GateAuditInput, GateHooks } from '../gate';

export type HttpAccessResult =
  | { readonly allowed: true; readonly expiresAt?: Date }
  | { readonly allowed: false; readonly reason: string };

/**
 * `request.refused`: refused before policy (no or bad credential, no route, no grant).
 * `request.attempt`: facts and the final decision, appended before anything is forwarded.
 * `request.result`: status, byte counts, duration and mask counts, after the response ended.
 */
export type HttpAuditType = 'request.refused' | 'request.attempt' | 'request.result';

export type HttpAuditInput = GateAuditInput<HttpAuditType>;

/** The masking a principal gets on a connection: free text, plus classified JSON fields. */
export interface HttpMasker extends TextMasker {
  /**
   * Masks a value found at a classified JSON path (`phiFields`): strings as they are, numbers and
   * booleans as their JSON text. Null writes JSON null.
   * @default the entity in brackets, e.g. "[NAME]"
   */
  maskField?(entity: string, value: string): string | null;
  /**
   * True when this masker changes nothing (a connection without PHI and without field rules):
   * response bodies are then relayed as they come, neither parsed nor re-encoded.
   * @default false
   */
  readonly passThrough?: boolean;
}

/** One exchange as the recorder receives it: bodies already masked and capped. */
export interface HttpExchangeRecord {
  readonly session: string;
  readonly principal: Principal;
  readonly connection: string;
  readonly startedAt: Date;
  readonly durationMs: number;
  /** Identifiers in the path masked. */
  readonly facts: HttpFacts;
  readonly status: number;
  /** Masked request body (text bodies only), at most `recordMaxBytes`. */
  readonly requestBody?: string;
  readonly requestBodyTruncated?: boolean;
  /** Masked response body as sent to the client (text and JSON only), at most `recordMaxBytes`. */
  readonly responseBody?: string;
  readonly responseBodyTruncated?: boolean;
  readonly responseContentType?: string;
}

export interface HttpGatewayHooks extends GateHooks<HttpFacts, HttpAuditInput> {
  /** Verifies the bearer token. Throws AuthenticationError (its reason is shown to the client). */
  authenticate(token: string): Promise<Principal>;
  /**
   * The hooks for one client connection from `address` (failed logins count per source).
   * @default these hooks, for every client
   */
  forClient?(address: string | undefined): HttpGatewayHooks;
  /** Whether this principal may use this connection now. */
  authorize(principal: Principal, connection: string): HttpAccessResult | Promise<HttpAccessResult>;
  /** Resolves a secret reference (upstream credential, CA, client certificate). */
  resolveSecret(ref: string): Promise<string>;
  /** The masking for this principal on this connection; called once per allowed request. */
  masker(principal: Principal, connection: string): HttpMasker;
  /** Receives each forwarded exchange, masked. Failures are logged, never shown. @default none */
  record?(exchange: HttpExchangeRecord): void | Promise<void>;
}
