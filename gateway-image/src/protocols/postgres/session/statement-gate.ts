/**
 * What every Query and Parse passes before a byte of it reaches the upstream: inspection through
 * the real parser, then the command gate every protocol shares (protocols/gate.ts: decide → hold →
 * audit the attempt), answered as PostgreSQL errors. Anything that fails closes the gate.
 */
import type { AttemptOutcome } from '../../../audit/bodies';
import type { Principal } from '../../../identity/principal';
import type { SqlFacts } from '../../../inspect/facts';
import type { Decision } from '../../../policy/decision';
import type { OperationTrace } from '../../../tracing/index';
import { passGate, recordAttempt } from '../../gate';
import type { PostgresAuditInput, PostgresSessionHooks } from '../hooks';
import type { ErrorFields } from '../wire/backend-writer';
import { clientErrors } from './client-errors';

export interface GateContext {
  readonly hooks: PostgresSessionHooks;
  readonly principal: Principal;
  readonly connection: string;
  readonly session: string;
  readonly searchPath: readonly string[];
  /** Session state the approval hold needs: the requester's reason, notices, connection end. */
  readonly hold?: {
    reason?: string;
    notice(fields: ErrorFields): void;
    signal(): AbortSignal;
  };
}

export type GateVerdict =
  | {
      readonly allowed: true;
      readonly facts: SqlFacts;
      readonly decision: Decision;
      /** The statement's span when traced: the session adds the upstream and masking stages and ends it. */
      readonly trace?: OperationTrace;
    }
  | { readonly allowed: false; readonly error: ErrorFields; readonly facts?: SqlFacts };

export interface GateRequest {
  readonly message: 'query' | 'parse';
  readonly sql: string;
  /** Prepared statement name for Parse ('' = unnamed). */
  readonly statement?: string;
  /** The message's text was not valid UTF-8: refused without inspection. */
  readonly invalidUtf8?: true;
}

interface SyntaxErrorLike {
  readonly code: 'ERR_SQL_SYNTAX';
  readonly message: string;
  readonly position?: number;
}

interface LexingErrorLike {
  readonly code: 'ERR_SQL_LEXING_SETTING';
  readonly message: string;
  readonly setting: string;
}

function hasCode<T extends { code: string }>(err: unknown, code: T['code']): err is T {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** Why inspection refused a statement: what the audit says and what the client sees. */
function inspectionRefusal(
  err: unknown,
): { audit: AttemptOutcome<SqlFacts>; error: ErrorFields } | undefined {
  if (hasCode<SyntaxErrorLike>(err, 'ERR_SQL_SYNTAX')) {
    return { audit: { outcome: 'syntax-error' }, error: clientErrors.syntax(err.message, err.position) };
  }
  if (hasCode<LexingErrorLike>(err, 'ERR_SQL_LEXING_SETTING')) {
    return {
      audit: { outcome: 'not-inspectable', reason: 'lexing-setting', setting: err.setting },
      error: clientErrors.lexingSetting(err.message),
    };
  }
  return undefined;
}

export async function gateStatement(ctx: GateContext, req: GateRequest): Promise<GateVerdict> {
  const trace = ctx.hooks.tracer?.start('postgres.statement', { 'warden.connection': ctx.connection });
  if (!trace) return gate(ctx, req, undefined);
  try {
    const verdict = await gate(ctx, req, trace);
    if (!verdict.allowed) trace.end();
    else trace.endStage();
    return verdict.allowed ? { ...verdict, trace } : verdict;
  } catch (err) {
    trace.end(undefined, true);
    throw err;
  }
}

async function gate(
  ctx: GateContext,
  req: GateRequest,
  trace: OperationTrace | undefined,
): Promise<GateVerdict> {
  const { hooks } = ctx;
  const { principal, connection, session } = ctx;
  const fields = {
    message: req.message,
    ...(req.statement === undefined ? {} : { statement: req.statement }),
  };
  const command = {
    principal,
    connection,
    session,
    ...(trace ? { trace } : {}),
    attempt: (outcome: AttemptOutcome<SqlFacts>): PostgresAuditInput => ({
      type: 'query.attempt',
      principal,
      connection,
      session,
      body: { ...fields, ...outcome },
    }),
  };
  const refuse = async (outcome: AttemptOutcome<SqlFacts>, error: ErrorFields): Promise<GateVerdict> =>
    (await recordAttempt(hooks, command, outcome)) ? { allowed: false, error } : auditDown();
  if (req.invalidUtf8) {
    return refuse({ outcome: 'not-inspectable', reason: 'invalid-utf8' }, clientErrors.invalidUtf8());
  }
  let facts: SqlFacts;
  trace?.stage('inspect');
  try {
    facts = hooks.inspect(req.sql, ctx.searchPath);
  } catch (err) {
    // A statement that cannot be inspected is denied (the gateway's data flow, step 4).
    const known = inspectionRefusal(err);
    if (!known) hooks.log?.({ level: 'error', message: 'inspect failed', session: ctx.session, err });
    const refusal = known ?? { audit: { outcome: 'not-inspectable' }, error: clientErrors.notInspectable() };
    return refuse(refusal.audit, refusal.error);
  }

  const hold = ctx.hold;
  const verdict = await passGate(hooks, {
    ...command,
    facts,
    hold: () => ({
      command: req.sql,
      ...(hold?.reason ? { reason: hold.reason } : {}),
      notice: (n) => hold?.notice({ severity: 'NOTICE', code: '01000', ...n }),
      signal: hold?.signal() ?? new AbortController().signal,
    }),
  });
  switch (verdict.kind) {
    case 'allowed':
      followReason(ctx, req.sql);
      return { allowed: true, facts, decision: verdict.decision };
    case 'denied':
      return {
        allowed: false,
        error: clientErrors.denied(verdict.decision.rule, verdict.decision.reason),
        facts,
      };
    case 'approval-unavailable':
      return {
        allowed: false,
        error: clientErrors.approvalRequired(verdict.decision.rule, verdict.decision.reason),
        facts,
      };
    case 'policy-error':
      return { allowed: false, error: clientErrors.policyError(), facts };
    case 'audit-unavailable':
      return auditDown();
  }
}

// SET [SESSION] warden.reason = '…' (or TO): PostgreSQL accepts it as a custom setting, so it still
// runs upstream (transaction semantics stay the server's); the gateway keeps the text as the
// reason shown to approvers. SET LOCAL is not followed: the gateway does not track transaction ends.
const SET_REASON = /^\s*set\s+(?:session\s+)?warden\.reason\s*(?:=|to)\s*'((?:[^']|'')*)'\s*;?\s*$/i;

function followReason(ctx: GateContext, sql: string): void {
  const m = ctx.hold ? SET_REASON.exec(sql) : null;
  if (m) ctx.hold!.reason = m[1]!.replaceAll("''", "'").slice(0, 2000);
}

function auditDown(): GateVerdict {
  return { allowed: false, error: clientErrors.auditUnavailable() };
}
