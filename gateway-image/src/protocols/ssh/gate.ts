/**
 * What every exec, shell and subsystem request passes before anything reaches the upstream host:
 * the shell command inspector, then the command gate every protocol shares (protocols/gate.ts:
 * decide → hold → audit the attempt). Anything that fails refuses the request; `message` is the
 * one stderr line the client sees.
 */
import type { AttemptOutcome, CommandAttemptBody } from '../../audit/bodies';
import { WardenError } from '../../errors';
import type { Principal } from '../../identity/principal';
import type { ShellFacts, ShellFeature } from '../../inspect/facts';
import type { TextMasker } from '../../masking/text-masker';
import type { Decision } from '../../policy/decision';
import type { OperationTrace } from '../../tracing';
import { type GateRefusal, passGate, recordAttempt, refusalText } from '../gate';
import type { SshAuditInput, SshChannelRequest, SshSessionHooks } from './hooks';

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
  const { principal, connection, session } = ctx;
  /** The command's attempt event; `shown` is what it carries when there are no facts to show. */
  const attempt =
    (shown: Pick<CommandAttemptBody, 'mode' | 'commandLine' | 'subsystem'> = {}) =>
    (outcome: AttemptOutcome<ShellFacts>): SshAuditInput => ({
      type: 'command.attempt',
      principal,
      connection,
      session,
      body: { protocol: 'ssh', ...shown, ...outcome },
    });
  const command = { principal, connection, session, ...(trace ? { trace } : {}), attempt: attempt() };
  let facts: ShellFacts;
  trace?.stage('inspect');
  try {
    facts = hooks.inspect(request, ctx.connection);
  } catch (err) {
    // A command that cannot be inspected is denied (ARCHITECTURE.md, data flow).
    hooks.log?.({ level: 'warn', message: 'ssh request not inspectable', session: ctx.session, err });
    // The inspector's own reasons name constructs and programs; anything else stays internal.
    const why = err instanceof WardenError ? ctx.masker.mask(err.message).text : undefined;
    const shown = attempt({ mode: request.mode, ...maskedCommand(ctx, request) });
    const outcome = { outcome: 'not-inspectable' as const, ...(why ? { reason: why } : {}) };
    if (!(await recordAttempt(hooks, { ...command, attempt: shown }, outcome)))
      return refused({ kind: 'audit-unavailable' });
    return {
      allowed: false,
      message: `the command line cannot be inspected${why ? ` (${why})` : ''}, so it is refused; write program names and paths out literally`,
    };
  }
  const audited = maskedFacts(ctx, facts);
  const verdict = await passGate(hooks, {
    ...command,
    facts,
    shownFacts: audited,
    overrule: unmaskable,
    showText: (text) => ctx.masker.mask(text).text,
    // Approvers see the masked line; an approval for it once is bound to the exact line's hash.
    hold: () => (facts.commandLine === undefined ? {} : { command: facts.commandLine }),
  });
  trace?.endStage();
  if (verdict.kind === 'allowed') return { allowed: true, facts, decision: verdict.decision };
  if (verdict.kind === 'denied' && verdict.decision.rule === UNMASKABLE_RULE) {
    const detail = programDetail(audited, verdict.decision);
    return { allowed: false, message: `refused by the gateway (rule "${UNMASKABLE_RULE}"): ${detail}` };
  }
  return refused(
    verdict,
    verdict.kind === 'denied' || verdict.kind === 'approval-unavailable'
      ? programDetail(audited, verdict.decision)
      : '',
  );
}

function refused(verdict: GateRefusal, detail = ''): SshGateVerdict {
  return { allowed: false, message: refusalText(verdict, detail) };
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

function maskedCommand(
  ctx: SshGateContext,
  request: SshChannelRequest,
): Pick<CommandAttemptBody, 'commandLine' | 'subsystem'> {
  if (request.mode === 'exec') return { commandLine: ctx.masker.mask(request.command).text };
  return request.mode === 'subsystem' ? { subsystem: request.name } : {};
}
