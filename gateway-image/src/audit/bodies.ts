/**
 * The body of every audit event type, by type: the one contract the writers (the log itself, the
 * protocol adapters, identity, approvals, the admin API, evidence) append against and the readers
 * (the verifier, the evidence pack, metrics, the session ledger) narrow on. `AuditBodies` is a
 * map from type to body; `AuditEvent` and `AuditEventInput` (event.ts) are discriminated unions
 * built from it, so `if (e.type === 'session.end')` gives `e.body` its fields.
 *
 * Bodies hold facts about attempts and decisions — names, counts, codes, rule names, masked
 * command text — never response data (rows, file contents, HTTP bodies) and never secrets.
 * Optional fields are absent, not null, unless a field says otherwise. Adding a type means adding
 * it here and to `AUDIT_TYPES`; the compiler then holds every writer and reader to it.
 */

import type { ApprovalScope, StatementSummary } from '../approvals/model';
import type { Facts, HttpFacts, KubernetesFacts, ShellFacts, SqlFacts } from '../inspect/facts';
import type { Decision } from '../policy/decision';

/** A principal as audited inside a body (identity events name the token's owner or revoker). */
export type PrincipalRef = {
  readonly subject: string;
  readonly kind: 'human' | 'agent';
  readonly issuer: string;
  readonly groups: readonly string[];
};

/** Masking counts by entity (or column) name. */
export type Counts = { readonly [name: string]: number };

/** The protocols whose adapters write events; Postgres events name it only where it was always named. */
export type AuditProtocol = 'postgres' | 'ssh' | 'http' | 'kubernetes';

// ── The command gate (protocols/gate.ts): one attempt per command, durable before it is forwarded ──

/** How the gate ended for one command: a decision, a policy that threw, or a refusal before policy. */
export type AttemptOutcome<F extends Facts> =
  /** Policy decided (`approvalRule` when it was held for approval and an approver or a timeout decided). */
  | { readonly facts: F; readonly decision: Decision; readonly approvalRule?: string }
  /** Policy threw: refused. */
  | { readonly facts: F; readonly outcome: 'policy-error' }
  /** Refused before policy: the command could not be inspected. */
  | {
      readonly outcome: 'syntax-error' | 'not-inspectable';
      /** `invalid-utf8`, `lexing-setting`, or the inspector's own (masked) words. */
      readonly reason?: string;
      /** The lexing setting a statement tried to change. */
      readonly setting?: string;
    };

export type QueryAttemptBody = {
  /** The frontend message the statement came in. */
  readonly message: 'query' | 'parse';
  /** The prepared statement's name (Parse). */
  readonly statement?: string;
} & AttemptOutcome<SqlFacts>;

export type CommandAttemptBody = {
  readonly protocol: 'ssh';
  /** Set when the command could not be inspected (the facts carry them otherwise). */
  readonly mode?: ShellFacts['mode'];
  readonly commandLine?: string;
  readonly subsystem?: string;
} & AttemptOutcome<ShellFacts>;

export type RequestAttemptBody = {
  readonly protocol: 'http' | 'kubernetes';
  /** The request id (also the event's session). */
  readonly request: string;
} & AttemptOutcome<HttpFacts | KubernetesFacts>;

/** The attempt events, by type, with the facts each protocol brings to the gate. */
export type AttemptBodies = {
  readonly 'query.attempt': QueryAttemptBody;
  readonly 'command.attempt': CommandAttemptBody;
  readonly 'request.attempt': RequestAttemptBody;
};

// ── Sessions ──

export type SessionStartBody =
  | {
      readonly protocol: 'postgres';
      /** The user name the client gave. */
      readonly clientUser: string;
      readonly brokeredRole: string;
      readonly clientApplication: string;
      /** Names of the startup settings forwarded (never their values). */
      readonly settings?: readonly string[];
      /** The upstream role's privileges, accepted by `acceptPrivilegedRole` for this reason. */
      readonly upstreamRole?: { readonly privileges: readonly string[]; readonly acceptedBecause: string };
    }
  | { readonly protocol: 'ssh'; readonly method: string; readonly via: string };

export type SessionRefusedBody = {
  readonly protocol?: 'ssh';
  /** `bad-token`, `no-grant`, `no-such-connection`, `startup-parameter`, `login-throttled`, … */
  readonly reason: string;
  readonly detail?: string;
  /** Postgres: what the client sent at startup. */
  readonly clientUser?: string;
  readonly clientApplication?: string;
  /** Postgres `startup-parameter`: the refused parameter and the rule that refused it. */
  readonly parameter?: string;
  readonly rule?: string;
  /** Postgres `user-not-brokered`. */
  readonly allowedUsers?: readonly string[];
  /** Postgres `privileged-upstream-role`. */
  readonly privileges?: readonly string[];
};

export type SessionEndBody = {
  readonly protocol?: AuditProtocol;
  /** `client`, `terminated`, `grant-expired`, `worker-lost`, `inspection-mismatch`, … */
  readonly reason: string;
  readonly durationMs?: number;
  /** Postgres: statements that reached the gate. */
  readonly statements?: number;
  /** SSH: channels opened. */
  readonly channels?: number;
  /** An administrator's termination. */
  readonly terminatedBy?: string;
  readonly terminationReason?: string;
  /** `worker-lost`: written by the primary for a worker that died. */
  readonly endedBy?: 'primary';
  /** The worker's slot. */
  readonly worker?: string;
  readonly pid?: number;
  readonly signal?: string;
  readonly exitCode?: number | null;
};

export type SessionTerminatedBody = {
  readonly protocol?: string;
  /** Whose session it was. */
  readonly subject: string;
  readonly reason?: string;
};

// ── Results (deferred: written with the next durable batch) ──

export type QueryResultBody = {
  /** `refusal`: the result of a statement the gateway refused (its error, no rows). */
  readonly via: 'query' | 'execute' | 'refusal';
  readonly statement?: string | number;
  readonly fingerprint?: string;
  readonly outcome: string;
  readonly rows: number;
  readonly bytes: number;
  readonly tags: readonly string[];
  readonly sqlState?: string;
  readonly durationMs: number;
  /** Repeated executions of one prepared statement folded into one event. */
  readonly executions?: number;
};

export type MaskBody =
  | {
      readonly via: 'query' | 'execute';
      readonly statement: string | number;
      readonly profile: string | null;
      readonly columns: readonly {
        readonly name: string;
        readonly entity: string;
        readonly strategy: string;
        readonly values: number;
      }[];
      readonly detections: Counts;
    }
  | { readonly via: 'notice'; readonly echoes: number; readonly detections: Counts };

export type InspectionMismatchBody =
  | {
      readonly kind: 'tag';
      readonly fingerprint: string;
      readonly index: number;
      readonly inspected: string;
      readonly reported: string;
    }
  | { readonly kind: 'setting'; readonly setting: string; readonly value: string };

export type CommandResultBody = {
  readonly protocol: 'ssh';
  readonly mode: ShellFacts['mode'];
  readonly channel: number;
  /** `completed`, `stopped`, `upstream-error`, `masking-unavailable`. */
  readonly outcome: string;
  readonly failure?: string;
  readonly code?: number;
  readonly signal?: string;
  readonly stdoutBytes?: number;
  readonly stderrBytes?: number;
  readonly masked?: Counts;
  readonly durationMs?: number;
  /** A subsystem's byte counts. */
  readonly subsystem?: string;
  readonly clientBytes?: number;
  readonly upstreamBytes?: number;
};

export type SftpFileBody = {
  readonly protocol: 'ssh';
  readonly op: string;
  readonly path: string;
  readonly mode?: string;
  /** A rename or link target (masked). */
  readonly target?: string;
  readonly refused?: 'classified-file' | 'policy';
  readonly decision?: Decision;
  readonly bytesRead?: number;
  readonly bytesWritten?: number;
};

export type ChannelRefusedBody = { readonly protocol: 'ssh'; readonly request: string };

export type RequestRefusedBody = {
  readonly protocol: 'http' | 'kubernetes';
  readonly request?: string;
  readonly method: string;
  /** The error code the client was sent. */
  readonly reason: string;
};

export type RequestResultBody = {
  readonly protocol: 'http' | 'kubernetes';
  readonly request: string;
  readonly status?: number;
  readonly bytes?: number;
  readonly durationMs: number;
  /** What kind of body was relayed (`json`, `ndjson`, `text`, …). */
  readonly body?: string;
  readonly masked?: Counts;
  readonly error?: string;
  /** Kubernetes exec. */
  readonly exec?: true;
  readonly exitCode?: number;
  readonly bytesIn?: number;
  readonly bytesOut?: number;
};

// ── Approvals and just-in-time access ──

export type ApprovalRequestedBody = {
  readonly approval: string;
  readonly kind: 'command' | 'access';
  readonly rule: string;
  readonly protocol?: string;
  readonly command?: string;
  readonly commandHash?: string | null;
  readonly fingerprint?: string;
  /** SQL: what each statement reads and writes. */
  readonly statements?: readonly StatementSummary[];
  readonly reason?: string;
  readonly durationMs?: number;
  readonly approverGroups: readonly string[];
  readonly minApprovers: number;
  readonly expiresAt: string;
};

export type ApprovalDecidedBody = {
  readonly approval: string;
  readonly requester: string;
  readonly verdict: 'approve' | 'deny';
  readonly justification: string;
  readonly status: string;
  readonly scope?: ApprovalScope;
};

export type ApprovalUsedBody = {
  readonly approval: string;
  readonly scope: string;
  readonly status?: string;
  readonly fingerprint?: string;
  readonly commandHash?: string | null;
};

export type ApprovalEndedBody = {
  readonly approval: string;
  readonly status?: string;
  readonly kind?: 'access';
};

export type ApprovalNotificationFailedBody = {
  readonly target: string;
  readonly approval: string;
  readonly event: string;
  readonly error: string;
};

export type AccessGrantedBody = {
  readonly grant: string;
  readonly approval: string;
  readonly subject: string;
  readonly expiresAt: string;
};

export type AccessRevokedBody = { readonly grant: string; readonly subject: string; readonly reason: string };

export type AccessExpiredBody = {
  readonly grant: string;
  readonly subject: string;
  readonly expiresAt: string;
};

// ── Identity, login and the console ──

export type SessionTokenIssuedBody = {
  readonly principal: PrincipalRef;
  readonly tokenId: string;
  readonly expiresAt: string;
};

export type SessionTokenRevokedBody = { readonly by: PrincipalRef; readonly tokenId: string };

export type AuthenticationRefusedBody = { readonly code: string; readonly where: string };

export type LoginThrottledBody = {
  readonly source: string;
  readonly maxFailures: number;
  readonly windowSec: number;
  readonly blockedUntil: string;
};

// ── The log itself, its copies and the evidence export ──

export type CheckpointBody = {
  readonly upTo: number;
  readonly hash: string;
  readonly segment: string;
  /** Base64 Ed25519 over `canonical({upTo, hash, segment})`. */
  readonly signature: string;
  readonly keyId: string;
  readonly reason: 'count' | 'interval' | 'seal' | 'close';
};

export type SegmentSealedBody = { readonly segment: string; readonly next: string; readonly lastSeq: number };

export type AuditStartBody = {
  readonly version: number;
  readonly segment: string;
  readonly keyId: string;
  readonly resumedAfterSeq: number;
  readonly cleanShutdown: boolean;
};

export type AuditRecoveredBody = {
  readonly segment: string;
  readonly truncatedBytes: number;
  readonly truncatedSha256: string;
};

export type AuditOutageBody = {
  readonly since: string;
  readonly until: string;
  readonly refusedAppends: number;
  /** The system error code: `ENOSPC`, `EROFS`, `EIO`, … */
  readonly cause: string;
};

/** What a copy to write-once storage was of: a sealed audit segment, or a finished session recording. */
export type UploadSubject =
  | { readonly segment: string; readonly chain?: string }
  /** Its path under the recording directory, e.g. `<session>.jsonl`, `<session>.cast`. */
  | { readonly recording: string };

export type UploadBody = UploadSubject & {
  readonly sink: string;
  /** `audit.upload-retried`: attempts it took. */
  readonly attempts?: number;
};

export type EvidenceExportedBody = {
  readonly day: string;
  readonly host: string;
  readonly verified: boolean;
  readonly manifestSha256: string;
  readonly signerKeyId: string;
  readonly copies: number;
};

export type EvidenceExportFailedBody = { readonly day: string; readonly host: string; readonly code: string };

/** Every audit event type and its body. */
export type AuditBodies = AttemptBodies & {
  readonly 'session.start': SessionStartBody;
  readonly 'session.refused': SessionRefusedBody;
  readonly 'session.end': SessionEndBody;
  readonly 'session.terminated': SessionTerminatedBody;
  readonly 'query.result': QueryResultBody;
  readonly mask: MaskBody;
  readonly 'inspection.mismatch': InspectionMismatchBody;
  readonly 'command.result': CommandResultBody;
  readonly 'sftp.file': SftpFileBody;
  readonly 'channel.refused': ChannelRefusedBody;
  readonly 'request.refused': RequestRefusedBody;
  readonly 'request.result': RequestResultBody;
  readonly 'approval.requested': ApprovalRequestedBody;
  readonly 'approval.decided': ApprovalDecidedBody;
  readonly 'approval.used': ApprovalUsedBody;
  readonly 'approval.expired': ApprovalEndedBody;
  readonly 'approval.abandoned': ApprovalEndedBody;
  readonly 'approval.notification-failed': ApprovalNotificationFailedBody;
  readonly 'access.requested': ApprovalRequestedBody;
  readonly 'access.granted': AccessGrantedBody;
  readonly 'access.revoked': AccessRevokedBody;
  readonly 'access.expired': AccessExpiredBody;
  readonly 'identity.session-token.issued': SessionTokenIssuedBody;
  readonly 'identity.session-token.revoked': SessionTokenRevokedBody;
  readonly 'identity.authentication.refused': AuthenticationRefusedBody;
  readonly 'login.throttled': LoginThrottledBody;
  readonly 'console.signed-in': Record<string, never>;
  readonly checkpoint: CheckpointBody;
  readonly 'segment.sealed': SegmentSealedBody;
  readonly 'audit.start': AuditStartBody;
  readonly 'audit.recovered': AuditRecoveredBody;
  readonly 'audit.outage': AuditOutageBody;
  readonly 'audit.upload-failed': UploadBody;
  readonly 'audit.upload-retried': UploadBody;
  readonly 'evidence.exported': EvidenceExportedBody;
  readonly 'evidence.export-failed': EvidenceExportFailedBody;
};

export type AuditType = keyof AuditBodies;

/**
 * A type and its body, as a union by `type` (`T` a union of types gives one member each): what
 * every event input and recorded event is made of, so narrowing on `type` types `body`.
 */
export type AuditPayload<T extends AuditType = AuditType> = {
  readonly [K in T]: { readonly type: K; readonly body: AuditBodies[K] };
}[T];

/** Every type, at run time; the compiler checks the list against `AuditBodies` both ways. */
export const AUDIT_TYPES = [
  'query.attempt',
  'command.attempt',
  'request.attempt',
  'session.start',
  'session.refused',
  'session.end',
  'session.terminated',
  'query.result',
  'mask',
  'inspection.mismatch',
  'command.result',
  'sftp.file',
  'channel.refused',
  'request.refused',
  'request.result',
  'approval.requested',
  'approval.decided',
  'approval.used',
  'approval.expired',
  'approval.abandoned',
  'approval.notification-failed',
  'access.requested',
  'access.granted',
  'access.revoked',
  'access.expired',
  'identity.session-token.issued',
  'identity.session-token.revoked',
  'identity.authentication.refused',
  'login.throttled',
  'console.signed-in',
  'checkpoint',
  'segment.sealed',
  'audit.start',
  'audit.recovered',
  'audit.outage',
  'audit.upload-failed',
  'audit.upload-retried',
  'evidence.exported',
  'evidence.export-failed',
] as const satisfies readonly AuditType[];

// Fails to compile when a type of AuditBodies is missing from the list.
type Unlisted = Exclude<AuditType, (typeof AUDIT_TYPES)[number]>;
const allListed: [Unlisted] extends [never] ? true : Unlisted = true;
void allListed;

const KNOWN: ReadonlySet<string> = new Set(AUDIT_TYPES);

export function isAuditType(type: string): type is AuditType {
  return KNOWN.has(type);
}
