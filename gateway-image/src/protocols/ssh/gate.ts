/**
 * The hold points every exec, shell and subsystem request passes before anything reaches the
 * upstream host: inspect → decide → (awaitApproval) → audit the attempt. Anything that fails
 * refuses the request; `message` is the one stderr line the client sees.
 */
import { WardenError } from '../../errors';
import type { Principal } from '../../identity/principal';
import type { ShellFacts, ShellFeature } from '../../inspect/facts';
import type { TextMasker } from '../../masking/text-masker';
import type { Decision } from '../../policy/decision';
import type { OperationTrace } from '../../tracing';
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

export async function gateRequest(
  ctx: SshGateContext,
  request: SshChannelRequest,
  trace?: OperationTrace,
): Promise<SshGateVerdict> {
  const { hooks } = ctx;
  let facts: ShellFacts;
  trace?.stage('inspect');
  try {
    facts = hooks.inspect(request, ctx.connection);
  } catch (err) {
    // A command that cannot be inspected is denied (ARCHITECTURE.md, data flow).
    hooks.log?.({ level: 'warn', message: 'ssh request not inspectable', session: ctx.session, err });
    // The inspector's own reasons name constructs and programs; anything else stays internal.
    const why = err instanceof WardenError ? ctx.masker.mask(err.message).text : undefined;
    const body = {
      mode: request.mode,
      ...maskedCommand(ctx, request),
      outcome: 'not-inspectable',
      ...(why ? { reason: why } : {}),
    };
    if (!(await audit(ctx, body, trace))) return auditDown();
    return {
      allowed: false,
      message: `the command line cannot be inspected${why ? ` (${why})` : ''}, so it is refused; write program names and paths out literally`,
    };
  }
  const audited = maskedFacts(ctx, facts);

  let decision: Decision;
  trace?.stage('policy');
  try {
    // A line with several programs: decide() weighs each alone (see SshSessionHooks.decide).
    decision = hooks.decide(ctx.principal, ctx.connection, facts);
    // Policy's own refusal is the one named; anything it lets through still cannot be masked.
    if (decision.outcome !== 'deny') decision = unmaskable(facts) ?? decision;
  } catch (err) {
    hooks.log?.({ level: 'error', message: 'policy evaluation failed', session: ctx.session, err });
    if (!(await audit(ctx, { facts: audited, outcome: 'policy-error' }, trace))) return auditDown();
    return { allowed: false, message: 'policy could not be evaluated, so the command is refused' };
  }

  let heldBy: string | undefined;
  if (decision.outcome === 'require-approval') {
    heldBy = decision.rule;
    trace?.stage('approval-wait');
    decision = await approval(ctx, facts, decision);
  }
  const shown =
    decision.outcome !== 'allow' && decision.program !== undefined
      ? { ...decision, program: ctx.masker.mask(decision.program).text }
      : decision;
  const body = { facts: audited, decision: shown, ...(heldBy ? { approvalRule: heldBy } : {}) };
  if (!(await audit(ctx, body, trace))) return auditDown();
  trace?.endStage();
  if (decision.outcome === 'allow') return { allowed: true, facts, decision };
  const detail = programDetail(audited, shown as Extract<Decision, { rule: string }>);
  if (decision.rule === UNMASKABLE_RULE) {
    return { allowed: false, message: `refused by the gateway (rule "${UNMASKABLE_RULE}"): ${detail}` };
  }
  const because = detail ? ` (${detail})` : '';
  if (decision.outcome === 'deny') {
    return {
      allowed: false,
      message: `denied by policy rule "${decision.rule}": ${decision.reason}${because}`,
    };
  }
  return {
    allowed: false,
    message: `policy rule "${decision.rule}" requires approval (${decision.reason}${because}), and approvals are not available on this gateway`,
  };
}

/**
 * The gateway's own rule, which no policy can allow: a line reading a classified file in a way
 * whose output cannot be masked (a name configuration rules cannot take: they have no colon).
 */
export const UNMASKABLE_RULE = 'warden:unmaskable-output';

function unmaskable(facts: ShellFacts): Decision | undefined {
  if (!facts.features.includes('unmaskable')) return undefined;
  const program = facts.commands?.find((c) => c.features.includes('unmaskable'))?.program;
  return {
    outcome: 'deny',
    rule: UNMASKABLE_RULE,
    reason: 'the output of this command line could not be masked',
    features: ['unmaskable'],
    ...(program === undefined ? {} : { program }),
  };
}

/** The audit keeps the command line, paths and notes masked, so an identifier typed into them is not kept raw. */
function maskedFacts(ctx: SshGateContext, facts: ShellFacts): ShellFacts {
  const mask = (text: string) => ctx.masker.mask(text).text;
  const commands = facts.commands?.map((c) => ({
    ...c,
    program: mask(c.program),
    ...(c.notes
      ? {
          notes: Object.fromEntries(
            Object.entries(c.notes).map(([f, notes]) => [f, (notes ?? []).map(mask)]),
          ),
        }
      : {}),
  }));
  return {
    ...facts,
    ...(facts.commandLine === undefined ? {} : { commandLine: mask(facts.commandLine) }),
    ...(facts.files ? { files: facts.files.map(mask) } : {}),
    ...(facts.classifiedFiles ? { classifiedFiles: facts.classifiedFiles.map(mask) } : {}),
    ...(commands ? { commands } : {}),
  };
}

/** Why the program a decision is about has the features the rule matched (from masked facts). */
function programDetail(facts: ShellFacts, decision: Extract<Decision, { rule: string }>): string {
  const { program, features } = decision;
  if (program === undefined || features === undefined) return '';
  const notes = new Set<string>();
  for (const c of facts.commands ?? []) {
    if (c.program !== program && facts.commands!.some((x) => x.program === program)) continue;
    for (const f of features) for (const n of c.notes?.[f as ShellFeature] ?? []) notes.add(n);
  }
  return [...notes].join('; ');
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

async function audit(
  ctx: SshGateContext,
  body: Record<string, unknown>,
  trace: OperationTrace | undefined,
): Promise<boolean> {
  if (trace) {
    const d = body.decision as Decision | undefined;
    trace.set({
      'warden.decision': d?.outcome ?? String(body.outcome ?? 'refused'),
      ...(d?.rule ? { 'warden.rule': d.rule } : {}),
    });
    trace.stage('audit');
  }
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
    trace?.set({ 'warden.decision': 'audit-unavailable' });
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
