/**
 * Client → upstream, once a session is ready: each message is forwarded as received, except Query
 * and Parse, which wait at the statement gate. A refused statement is replaced by a placeholder the
 * upstream fails with a syntax error, so the upstream's transaction state stays exactly what a
 * real server would have (an error aborts the transaction block / the implicit transaction of the
 * sync group), and the result tracker swaps that error for the gateway's own.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */
import { serialize } from 'pg-protocol';
import type { SqlFacts } from '../../../inspect/facts';
import type { ResultTracker } from '../results/result-tracker';
import { errorResponse } from '../wire/backend-writer';
import { ProtocolError } from '../wire/errors';
import { parseMessage } from '../wire/frontend-parser';
import type { FrontendMessage, RegularMessage } from '../wire/messages';
import { clientErrors } from './client-errors';
import type { GateRequest, GateVerdict } from './statement-gate';

/** Never valid SQL, and harmless in the upstream's log: it names the gateway's refusal. */
export const REFUSED_SQL = 'warden_refused_statement';
// Parsed from their bytes like a client's message, so what is forwarded and what the result
// masker reads of it cannot disagree.
export const REFUSAL_QUERY = parseMessage(serialize.query(REFUSED_SQL));
// Named, so the refusal does not destroy the client's unnamed statement upstream.
export const REFUSAL_PARSE = parseMessage(serialize.parse({ name: '__warden_refused__', text: REFUSED_SQL }));
const DEFAULT_SEARCH_PATH = ['"$user"', 'public'];

export interface FrontendRelayOptions {
  readonly tracker: ResultTracker;
  /** The statement gate, bound to the session's principal and connection. */
  gate(request: GateRequest, searchPath: readonly string[]): Promise<GateVerdict>;
  /** Sends a message upstream (through the result masker, when there is one). */
  forward(message: RegularMessage): void;
  isClosed(): boolean;
}

export class FrontendRelay {
  /** Statements (Query and Parse) that reached the gate. */
  attempts = 0;
  /** After a refused Parse: drop everything until Sync, as a server does after an error. */
  private discarding = false;
  private readonly statements = new Map<string, SqlFacts>();
  private readonly portals = new Map<string, { facts: SqlFacts | undefined; statement: string }>();
  private path: readonly string[] = DEFAULT_SEARCH_PATH;

  constructor(private readonly o: FrontendRelayOptions) {}

  get searchPath(): readonly string[] {
    return this.path;
  }

  /** search_path as reported by the upstream (ParameterStatus; PostgreSQL 18 reports it). */
  reportedSearchPath(value: string): void {
    this.path = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  /** Handles one message; returns a promise when it waits at the gate (later messages wait too). */
  relay(m: FrontendMessage): Promise<void> | undefined {
    if (this.discarding && m.type !== 'sync') return undefined;
    const { tracker } = this.o;
    switch (m.type) {
      case 'query':
      case 'parse':
        return this.gate(m);
      case 'bind':
        this.portals.set(m.portal, { facts: this.statements.get(m.statement), statement: m.statement });
        break;
      case 'execute': {
        // Executions carry the facts of their Parse, for the query.result audit.
        const portal = this.portals.get(m.portal);
        tracker.execute(portal?.facts, portal?.statement);
        break;
      }
      case 'close':
        if (m.target === 'statement') this.statements.delete(m.name);
        else this.portals.delete(m.name);
        break;
      case 'sync':
        this.discarding = false;
        tracker.sync();
        break;
      case 'functionCall':
        this.attempts++;
        tracker.refusal(errorResponse(clientErrors.functionCall()), 'query');
        this.o.forward(REFUSAL_QUERY);
        return undefined;
      case 'describe':
      case 'flush':
      case 'copyData':
      case 'copyDone':
      case 'copyFail':
        break;
      default:
        throw new ProtocolError(`unexpected ${m.type} message in a session`);
    }
    this.o.forward(m);
    return undefined;
  }

  private async gate(m: Extract<RegularMessage, { type: 'query' | 'parse' }>): Promise<void> {
    this.attempts++;
    const request: GateRequest =
      m.type === 'query'
        ? { message: 'query', sql: m.sql }
        : { message: 'parse', sql: m.sql, statement: m.name };
    const verdict = await this.o.gate(m.invalidUtf8 ? { ...request, invalidUtf8: true } : request, this.path);
    if (this.o.isClosed()) return;
    const { tracker, forward } = this.o;
    if (verdict.allowed) {
      this.followSearchPath(verdict.facts);
      if (m.type === 'query') tracker.query(verdict.facts);
      else this.statements.set(m.name, verdict.facts);
      forward(m);
    } else if (m.type === 'query') {
      tracker.refusal(errorResponse(verdict.error), 'query');
      forward(REFUSAL_QUERY);
    } else {
      this.statements.delete(m.name);
      tracker.refusal(errorResponse(verdict.error), 'extended');
      forward(REFUSAL_PARSE);
      this.discarding = true;
    }
  }

  /** SET search_path: follow it for the inspector (PostgreSQL before 18 does not report it). */
  private followSearchPath(facts: SqlFacts): void {
    for (const s of facts.statements) {
      if (s.setting?.name.toLowerCase() === 'search_path') this.path = s.setting.value ?? DEFAULT_SEARCH_PATH;
    }
  }
}
