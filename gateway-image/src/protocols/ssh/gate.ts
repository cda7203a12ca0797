/**
 * The hold points every exec, shell and subsystem request passes before anything reaches the
 * upstream host: inspect → decide → (awaitApproval) → audit the attempt. Anything that fails
 * refuses the request; `message` is the one stderr line the client sees.
 */
import type { Principal } from '../../identity/principal';
import type { ShellFacts } from '../../inspect/facts';
import type { TextMasker } from '../../masking/text-masker';
import type { Decision } from '../../policy/decision';
import type { SshChannelRequest, SshSessionHooks } from './hooks';

export interface SshGateContext {
  readonly hooks: SshSessionHooks;
  readonly principal: Principal;
  readonly connection: string;
  readonly session: string;
  readonly masker: TextMasker;
}

export type SshGateVerdict =
  | { readonly allowed: true; readonly facts: ShellFacts; readonly decision: Decision }
  | { readonly allowed: false; readonly message: string };

export async function gateRequest(ctx: SshGateContext, request: SshChannelRequest): Promise<SshGateVerdict> {
  const { hooks } = ctx;
  let facts: ShellFacts;
  try {
    facts = hooks.inspect(request);
  } catch (err) {
    // A command that cannot be inspected is denied (DESIGN.md, data flow step 4).
    hooks.log?.({ level: 'warn', message: 'ssh request not inspectable', session: ctx.session, err });
    const body = { mode: request.mode, ...maskedCommand(ctx, request), outcome: 'not-inspectable' };
    if (!(await audit(ctx, body))) return auditDown();
    return { allowed: false, message: 'the command line cannot be inspected, so it is refused' };
  }
  // The audit log keeps the command line, masked, so an identifier typed into it is not kept raw.
  const audited: ShellFacts =
    facts.commandLine === undefined
      ? facts
      : { ...facts, commandLine: ctx.masker.mask(facts.commandLine).text };

  let decision: Decision;
  try {
    // A line with several programs: decide() weighs each alone (see SshSessionHooks.decide).
    decision = hooks.decide(ctx.principal, ctx.connection, facts);
  } catch (err) {
    hooks.log?.({ level: 'error', message: 'policy evaluation failed', session: ctx.session, err });
    if (!(await audit(ctx, { facts: audited, outcome: 'policy-error' }))) return auditDown();
    return { allowed: false, message: 'policy could not be evaluated, so the command is refused' };
  }

  let heldBy: string | undefined;
  if (decision.outcome === 'require-approval') {
    heldBy = decision.rule;
    decision = await approval(ctx, facts, decision);
  }
  const body = { facts: audited, decision, ...(heldBy ? { approvalRule: heldBy } : {}) };
  if (!(await audit(ctx, body))) return auditDown();
  if (decision.outcome === 'allow') return { allowed: true, facts, decision };
  if (decision.outcome === 'deny') {
    return { allowed: false, message: `denied by policy rule "${decision.rule}": ${decision.reason}` };
  }
  return {
    allowed: false,
    message: `policy rule "${decision.rule}" requires approval (${decision.reason}), and approvals are not available on this gateway`,
  };
}

/** The `awaitApproval` hold point; without it, or if it fails, the request stays refused. */
async function approval(
  ctx: SshGateContext,
  facts: ShellFacts,
  decision: Extract<Decision, { outcome: 'require-approval' }>,
): Promise<Decision> {
  if (!ctx.hooks.awaitApproval) return decision;
  try {
    const { principal, connection, session } = ctx;
    const result = await ctx.hooks.awaitApproval({ principal, connection, session, facts, decision });
    return result.outcome === 'require-approval' ? { ...result, outcome: 'deny' } : result;
  } catch (err) {
    ctx.hooks.log?.({ level: 'error', message: 'approval hold failed', session: ctx.session, err });
    return { outcome: 'deny', rule: decision.rule, reason: 'the approval hold failed' };
  }
}

function maskedCommand(ctx: SshGateContext, request: SshChannelRequest): Record<string, string> {
  if (request.mode === 'exec') return { commandLine: ctx.masker.mask(request.command).text };
  return request.mode === 'subsystem' ? { subsystem: request.name } : {};
}

async function audit(ctx: SshGateContext, body: Record<string, unknown>): Promise<boolean> {
  try {
    await ctx.hooks.audit({
      type: 'command.attempt',
      principal: ctx.principal,
      connection: ctx.connection,
      session: ctx.session,
      body,
    });
    return true;
  } catch (err) {
    ctx.hooks.log?.({
      level: 'error',
      message: 'audit append failed; request refused',
      session: ctx.session,
      err,
    });
    return false;
  }
}

function auditDown(): SshGateVerdict {
  return { allowed: false, message: 'the audit log is unavailable, so the command is refused' };
}
