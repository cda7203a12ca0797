/**
 * The hold points every Query and Parse passes before a byte of it reaches the upstream:
 * inspect → decide → (awaitApproval) → audit the attempt. Anything that fails closes the gate.
 */
import type { Principal } from '../../identity/principal';
import type { SqlFacts } from '../../inspect/facts';
import type { Decision } from '../../policy/decision';
import type { OperationTrace } from '../../tracing';
import type { ErrorFields } from './backend-writer';
import { clientErrors } from './client-errors';
import { publishStatement, type StatementAttempt } from './events';
import type { PostgresSessionHooks } from './hooks';

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
function inspectionRefusal(err: unknown): { audit: Record<string, unknown>; error: ErrorFields } | undefined {
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
  const base = { message: req.message, ...(req.statement === undefined ? {} : { statement: req.statement }) };
  if (req.invalidUtf8) {
    const recorded = await audit(ctx, { ...base, outcome: 'not-inspectable', reason: 'invalid-utf8' }, trace);
    return recorded ? { allowed: false, error: clientErrors.invalidUtf8() } : auditDown();
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
    return (await audit(ctx, { ...base, ...refusal.audit }, trace))
      ? { allowed: false, error: refusal.error }
      : auditDown();
  }

  let decision: Decision;
  trace?.stage('policy');
  try {
    // Multi-statement Query: decide() weighs each statement alone (see PostgresSessionHooks).
    decision = hooks.decide(ctx.principal, ctx.connection, facts);
  } catch (err) {
    hooks.log?.({ level: 'error', message: 'policy evaluation failed', session: ctx.session, err });
    return (await audit(ctx, { ...base, facts, outcome: 'policy-error' }, trace))
      ? { allowed: false, error: clientErrors.internalStatement(), facts }
      : auditDown();
  }

  let heldBy: string | undefined;
  if (decision.outcome === 'require-approval') {
    heldBy = decision.rule;
    trace?.stage('approval-wait');
    decision = await approval(ctx, facts, decision, req.sql);
  }

  const recorded = await audit(
    ctx,
    { ...base, facts, decision, ...(heldBy ? { approvalRule: heldBy } : {}) },
    trace,
  );
  if (!recorded) return auditDown();
  if (decision.outcome === 'allow') {
    followReason(ctx, req.sql);
    return { allowed: true, facts, decision };
  }
  const error =
    decision.outcome === 'deny'
      ? clientErrors.denied(decision.rule, decision.reason)
      : clientErrors.approvalRequired(decision.rule, decision.reason);
  return { allowed: false, error, facts };
}

/** The `awaitApproval` hold point; without it, or if it fails, the statement stays refused. */
async function approval(
  ctx: GateContext,
  facts: SqlFacts,
  decision: Extract<Decision, { outcome: 'require-approval' }>,
  sql: string,
): Promise<Decision> {
  if (!ctx.hooks.awaitApproval) return decision;
  try {
    const { principal, connection, session, hold } = ctx;
    const result = await ctx.hooks.awaitApproval({
      principal,
      connection,
      session,
      facts,
      decision,
      command: sql,
      ...(hold?.reason ? { reason: hold.reason } : {}),
      notice: (n) => hold?.notice({ severity: 'NOTICE', code: '01000', ...n }),
      signal: hold?.signal() ?? new AbortController().signal,
    });
    return result.outcome === 'require-approval' ? { ...result, outcome: 'deny' } : result;
  } catch (err) {
    ctx.hooks.log?.({ level: 'error', message: 'approval hold failed', session: ctx.session, err });
    return { outcome: 'deny', rule: decision.rule, reason: 'the approval hold failed' };
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

async function audit(
  ctx: GateContext,
  body: Record<string, unknown>,
  trace: OperationTrace | undefined,
): Promise<boolean> {
  // Every gate outcome passes here exactly once: observers see the attempt as audit does.
  const attempt = body as unknown as StatementAttempt;
  publishStatement(ctx.session, attempt);
  if (trace) {
    const d = attempt.decision;
    trace.set({
      'warden.decision': d?.outcome ?? attempt.outcome ?? 'refused',
      ...(d && 'rule' in d && d.rule ? { 'warden.rule': d.rule } : {}),
    });
    trace.stage('audit');
  }
  try {
    await ctx.hooks.audit({
      type: 'query.attempt',
      principal: ctx.principal,
      connection: ctx.connection,
      session: ctx.session,
      body,
    });
    return true;
  } catch (err) {
    trace?.set({ 'warden.decision': 'audit-unavailable' });
    ctx.hooks.log?.({
      level: 'error',
      message: 'audit append failed; statement refused',
      session: ctx.session,
      err,
    });
    return false;
  }
}

function auditDown(): GateVerdict {
  return { allowed: false, error: clientErrors.auditUnavailable() };
}
