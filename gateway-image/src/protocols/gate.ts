/**
 * The command gate every protocol adapter passes a command through before a byte of it reaches the
 * upstream — a Postgres Query or Parse, an SSH exec, shell or subsystem, an HTTP request, a
 * Kubernetes request or exec: decide → (hold for approval) → audit the attempt. Written once; an
 * adapter brings its facts, the names of its audit events, and how it words a refusal.
 *
 * Every outcome is audited as the protocol's attempt event before the adapter acts on it, and
 * published on the `warden.gate` diagnostics channel for observers (the session recorder,
 * metrics). Anything that fails closes the gate: a policy that throws (`outcome: 'policy-error'`),
 * a hold that fails (denied by the holding rule), an audit log that cannot append (nothing is
 * forwarded).
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { AttemptBodies, AttemptOutcome, AuditPayload, AuditType } from '../audit/bodies';
import type { Principal } from '../identity/principal';
import type { Facts } from '../inspect/facts';
import type { Decision } from '../policy/decision';
import type { OperationTrace, OperationTracer } from '../tracing';

/** What every adapter's `log` hook receives; error messages never reach a client. */
export interface GateLogEntry {
  readonly level: 'warn' | 'error';
  readonly message: string;
  readonly session?: string;
  readonly err?: unknown;
}

/**
 * One audit event as an adapter hands it to the audit log: a union by `type` (audit/bodies.ts),
 * `T` naming the protocol's event types.
 */
export type GateAuditInput<T extends AuditType = AuditType> = AuditPayload<T> & {
  /** Undefined only for a refusal before the credential was verified. */
  readonly principal: Principal | undefined;
  /** Null only when the request matched no connection. */
  readonly connection: string | null;
  readonly session: string;
  /**
   * Nothing waits on this event (a result, a masking count): it may be made durable with a later
   * write, in order with the others. Never set on an attempt. @default false
   */
  readonly deferred?: boolean;
};

/** The attempt event types: one per protocol family (`query.attempt`, `command.attempt`, `request.attempt`). */
export type AttemptType = keyof AttemptBodies;

export type HeldDecision = Extract<Decision, { outcome: 'require-approval' }>;

/** A command held for approval: the `awaitApproval` hold point, the same for every protocol. */
export interface ApprovalRequest<F extends Facts = Facts> {
  readonly principal: Principal;
  readonly connection: string;
  readonly session: string;
  /** The facts as audited (identifiers masked): what approvers are shown. */
  readonly facts: F;
  readonly decision: HeldDecision;
  /** The exact command text; an approval for it once is bound to its hash. */
  readonly command?: string;
  /** Why the requester needs it (Postgres: `SET warden.reason`). */
  readonly reason?: string;
  /** Tells the waiting client the approval id and where to approve. */
  notice?(notice: { readonly message: string; readonly detail?: string; readonly hint?: string }): void;
  /** Aborted when the client gives up (cancel, disconnect): the request is abandoned. */
  readonly signal?: AbortSignal;
}

/** The hooks of the gate's steps, which every adapter's hooks contract includes. */
export interface GateHooks<F extends Facts, A extends GateAuditInput = GateAuditInput> {
  /** Spans of each operation and its stages; absent when tracing is off (nothing is timed then). */
  readonly tracer?: OperationTracer;
  /**
   * The policy decision. For a command of several statements or programs it is the most
   * restrictive of each alone, so a harmless part cannot carry another (the policy engine).
   */
  decide(principal: Principal, connection: string, facts: F): Decision;
  /**
   * Hold point for require-approval decisions: resolves to allow or deny (deny on timeout).
   * @default absent: every require-approval decision is refused, saying approvals are unavailable
   */
  awaitApproval?(request: ApprovalRequest<F>): Promise<Decision>;
  /** Appends an audit event durably; rejects when it cannot, and the command is refused. */
  audit(input: A): Promise<void>;
  /** Where internal errors go (they never reach the client). @default silent */
  log?(entry: GateLogEntry): void;
}

/** One command at the gate. */
export interface GateCommand<F extends Facts, A extends GateAuditInput = GateAuditInput> {
  readonly principal: Principal;
  readonly connection: string;
  readonly session: string;
  /**
   * The protocol's attempt event (`query.attempt`, `command.attempt`, `request.attempt`) for an
   * outcome: the adapter adds what every attempt of this command carries (the Postgres message,
   * the HTTP request id), its body typed by audit/bodies.ts.
   */
  attempt(outcome: AttemptOutcome<F>): A;
  /** What policy decides on. */
  readonly facts: F;
  /** The facts as audited, approved and observed: identifiers masked. @default facts */
  readonly shownFacts?: F;
  /** The command's span when traced: the gate adds its policy, approval-wait and audit stages. */
  readonly trace?: OperationTrace;
  /** A refusal of the gateway's own that no policy can allow, checked when policy did not deny. */
  readonly overrule?: (facts: F) => Decision | undefined;
  /** How a decision's program is shown (masked) in the audit log and to the client. */
  readonly showText?: (text: string) => string;
  /**
   * What a hold passes on beyond the facts: the exact command, reason, notices, abort signal.
   * Asked only when the command is held.
   */
  readonly hold?: () => Pick<ApprovalRequest<F>, 'command' | 'reason' | 'notice' | 'signal'>;
}

/** Why the gate let a command through or not; the adapter words the refusal in its protocol. */
export type GateVerdict =
  | { readonly kind: 'allowed'; readonly decision: Extract<Decision, { outcome: 'allow' }> }
  /** Policy (or an approver, or the gateway's own rule) denied it. */
  | { readonly kind: 'denied'; readonly decision: Extract<Decision, { outcome: 'deny' }> }
  /** Policy holds it for approval and this gateway has no approvals configured. */
  | { readonly kind: 'approval-unavailable'; readonly decision: HeldDecision }
  /** Policy could not be evaluated. */
  | { readonly kind: 'policy-error' }
  /** The attempt could not be made durable: nothing may be forwarded. */
  | { readonly kind: 'audit-unavailable' };

export type GateRefusal = Exclude<GateVerdict, { kind: 'allowed' }>;

export async function passGate<F extends Facts, A extends GateAuditInput>(
  hooks: GateHooks<F, A>,
  cmd: GateCommand<F, A>,
): Promise<GateVerdict> {
  const { principal, connection, session } = cmd;
  const shownFacts = cmd.shownFacts ?? cmd.facts;
  let decision: Decision;
  cmd.trace?.stage('policy');
  try {
    decision = hooks.decide(principal, connection, cmd.facts);
    // Policy's own refusal is the one named; anything it lets through may still be overruled.
    if (decision.outcome !== 'deny') decision = cmd.overrule?.(cmd.facts) ?? decision;
  } catch (err) {
    hooks.log?.({ level: 'error', message: 'policy evaluation failed', session, err });
    const recorded = await recordAttempt(hooks, cmd, { facts: shownFacts, outcome: 'policy-error' });
    return recorded ? { kind: 'policy-error' } : { kind: 'audit-unavailable' };
  }

  let heldBy: string | undefined;
  if (decision.outcome === 'require-approval' && hooks.awaitApproval) {
    heldBy = decision.rule;
    cmd.trace?.stage('approval-wait');
    decision = await hold(hooks, cmd, shownFacts, decision);
  }
  const shown = showDecision(decision, cmd.showText);
  const recorded = await recordAttempt(hooks, cmd, {
    facts: shownFacts,
    decision: shown,
    ...(heldBy ? { approvalRule: heldBy } : {}),
  });
  if (!recorded) return { kind: 'audit-unavailable' };
  if (shown.outcome === 'allow') return { kind: 'allowed', decision: shown };
  if (shown.outcome === 'deny') return { kind: 'denied', decision: shown };
  return { kind: 'approval-unavailable', decision: shown };
}

/** The `awaitApproval` hold point; if it fails, the command stays refused by the holding rule. */
async function hold<F extends Facts, A extends GateAuditInput>(
  hooks: GateHooks<F, A>,
  cmd: GateCommand<F, A>,
  facts: F,
  decision: HeldDecision,
): Promise<Decision> {
  try {
    const { principal, connection, session } = cmd;
    const result = await hooks.awaitApproval!({
      ...cmd.hold?.(),
      principal,
      connection,
      session,
      facts,
      decision,
    });
    return result.outcome === 'require-approval' ? { ...result, outcome: 'deny' } : result;
  } catch (err) {
    hooks.log?.({ level: 'error', message: 'approval hold failed', session: cmd.session, err });
    return { outcome: 'deny', rule: decision.rule, reason: 'the approval hold failed' };
  }
}

function showDecision(d: Decision, showText: ((text: string) => string) | undefined): Decision {
  if (d.outcome === 'allow' || d.program === undefined || !showText) return d;
  return { ...d, program: showText(d.program) };
}

/**
 * Audits (durably) and publishes one attempt of a command: the gate's outcomes, and an adapter's
 * own refusals before policy (a statement that cannot be inspected). False when the audit log
 * could not append it: the adapter must then refuse with `audit-unavailable`.
 */
export async function recordAttempt<F extends Facts, A extends GateAuditInput>(
  hooks: GateHooks<F, A>,
  cmd: Pick<GateCommand<F, A>, 'session' | 'attempt' | 'trace'>,
  outcome: AttemptOutcome<F>,
): Promise<boolean> {
  const input = cmd.attempt(outcome);
  const { trace } = cmd;
  if (trace) {
    const d = 'decision' in outcome ? outcome.decision : undefined;
    trace.set({
      'warden.decision': d?.outcome ?? ('outcome' in outcome ? outcome.outcome : 'refused'),
      ...(d?.rule ? { 'warden.rule': d.rule } : {}),
    });
    trace.stage('audit');
  }
  if (gateChannel.hasSubscribers) gateChannel.publish(input satisfies GateAttemptEvent);
  try {
    await hooks.audit(input);
    return true;
  } catch (err) {
    hooks.log?.({
      level: 'error',
      message: 'audit append failed; command refused',
      session: cmd.session,
      err,
    });
    return false;
  }
}

/** Refusal texts every protocol uses (Postgres adds its SQLSTATE, HTTP its status, SSH a stderr line). */
export function refusalText(v: GateRefusal, detail = ''): string {
  const because = detail ? ` (${detail})` : '';
  switch (v.kind) {
    case 'denied':
      return `denied by Warden policy rule "${v.decision.rule}": ${v.decision.reason}${because}`;
    case 'approval-unavailable':
      return `Warden policy rule "${v.decision.rule}" requires approval (${v.decision.reason}${because}), and approvals are not available on this gateway`;
    case 'policy-error':
      return 'the policy could not be evaluated, so the command is refused';
    case 'audit-unavailable':
      return 'the audit log is unavailable, so nothing was forwarded';
  }
}

export const GATE_CHANNEL = 'warden.gate';
const gateChannel = diagnosticsChannel.channel(GATE_CHANNEL);

/**
 * What observers of `warden.gate` receive for every attempt: the attempt event as audited (facts
 * masked, decision, `outcome` when there is no decision); narrow on `type` for its body.
 * Subscribers run synchronously, before the command is forwarded, and must not throw.
 */
export type GateAttemptEvent = GateAuditInput;
