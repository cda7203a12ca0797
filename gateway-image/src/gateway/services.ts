import { createPrivateKey } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import { join } from 'node:path';
import { type AccessChecker, createAccessChecker } from '../access/grants';
import { type Approvals, createApprovals } from '../approvals';
import { chainDir } from '../audit/chains';
import type { AuditEventInput, AuditSink } from '../audit/event';
import { RecoveringAuditLog } from '../audit/recovering-log';
import type { WardenConfig } from '../config/schema';
import { WardenError } from '../errors';
import { scheduleDailyEvidence } from '../evidence/daily';
import { type Authenticator, createAuthenticator } from '../identity/authenticator';
import { IDENTITY_CHANNEL, type IdentityEvent } from '../identity/events';
import { createOidcVerifier, type OidcVerifier } from '../identity/oidc-verifier';
import { FileRevocationStore, type RevocationStore } from '../identity/revocation';
import { createSessionTokens, type SessionTokens } from '../identity/session-tokens';
import { loadSqlParser } from '../inspect/sql';
import { createLogger, type Logger } from '../logging/logger';
import { createPolicyEngine, type PolicyEngine } from '../policy/engine';
import { createSessionRecorder } from '../recording/session-recorder';
import { createDefaultSecretResolver } from '../secrets/default-resolver';
import type { SecretResolver } from '../secrets/resolver';
import { type OperationTracer, startTracing } from '../tracing';
import { hookLog } from './hook-log';
import { LiveSessionRegistry } from './live-sessions';
import { type LoginGuard, loginGuard } from './login-guard';
import { shipRecordings } from './recording-sinks';
import { shipSealedSegments } from './sinks';

/**
 * The protocol-neutral parts of a running gateway, built once from the config: secrets, identity,
 * audit. Protocol listeners receive these and nothing else.
 */
export interface GatewayServices {
  readonly config: WardenConfig;
  readonly secrets: SecretResolver;
  readonly audit: ClosableAuditSink;
  readonly oidc: OidcVerifier;
  readonly sessions: SessionTokens | undefined;
  readonly authenticator: Authenticator;
  /** Per-source limits on failed logins: every protocol authenticates through it. */
  readonly loginGuard: LoginGuard;
  readonly access: AccessChecker;
  /** Holds, decisions and just-in-time grants; absent when the config has no approval rules. */
  readonly approvals: Approvals | undefined;
  readonly policy: PolicyEngine;
  /** Live Postgres and SSH sessions (in the primary: every worker's), for the admin API. */
  readonly liveSessions: LiveSessionRegistry;
  readonly logger: Logger;
  /** Spans of statements, requests and commands; absent unless observability.tracing is set. */
  readonly tracer: OperationTracer | undefined;
  /**
   * A recording file this process wrote is closed: it is copied to the write-once sinks
   * (recording-sinks.ts). Every recorder (Postgres, SSH and Kubernetes casts, HTTP) reports here.
   */
  recordingFinished(path: string): void;
  close(): Promise<void>;
}

export interface ClosableAuditSink extends AuditSink {
  close(): Promise<void>;
}

export interface ServiceOptions {
  /**
   * Where audit events go. @default the AuditLog of `auditChain` in config.audit.dir, opened by
   * this process
   */
  readonly audit?: ClosableAuditSink;
  /**
   * The chain this process writes: '' the audit directory's own, `worker-<n>` a worker slot's
   * (audit/chains.ts). @default ''
   */
  readonly auditChain?: string;
  /** @default the file store at identity.sessionTokens.revocationFile */
  readonly revocations?: RevocationStore;
  /** @default env: and file: providers only */
  readonly secrets?: SecretResolver;
  /** @default JSON lines on stderr */
  readonly logger?: Logger;
  /** A worker passes the registry it reports to the primary. @default a registry of this process */
  readonly liveSessions?: LiveSessionRegistry;
  /** A worker passes the guard that reports to the primary. @default this process counts failed logins */
  readonly loginGuard?: LoginGuard;
  /** A worker reports its sessions to the primary through the sink it hands the protocols. @default none */
  readonly wrapAudit?: (audit: ClosableAuditSink) => ClosableAuditSink;
}

export async function createGatewayServices(
  config: WardenConfig,
  opts: ServiceOptions = {},
): Promise<GatewayServices> {
  const secrets = opts.secrets ?? createDefaultSecretResolver();
  const logger = opts.logger ?? createLogger();
  const oidc = await createOidcVerifier({
    issuers: config.identity.issuers.map((i) => ({
      issuer: i.issuer,
      audiences: i.audiences,
      groupsClaim: i.groupsClaim,
      kindClaim: i.kind.claim,
      agentClaimValues: i.kind.agentValues,
      agentWhenSubjectIsClient: i.kind.agentWhenSubjectIsClient,
      defaultKind: i.kind.default,
      clockSkewSec: i.clockSkewSec,
    })),
  });
  let sessions: SessionTokens | undefined;
  const st = config.identity.sessionTokens;
  if (st) {
    const revocations =
      opts.revocations ??
      (await FileRevocationStore.open(st.revocationFile ?? join(config.audit.dir, 'revocations.json')));
    sessions = await createSessionTokens({
      signingKey: await loadEd25519(secrets, st.signingKey, 'identity.sessionTokens.signingKey'),
      defaultTtlSec: st.lifetimeSec,
      revocations,
    });
  }
  let stopShipping = () => {};
  let stopEvidence = async () => {};
  let audit: ClosableAuditSink;
  if (opts.audit) {
    audit = opts.audit;
  } else {
    const chain = opts.auditChain ?? '';
    const log = await openAuditLog(config, secrets, chain, logger);
    const stopCopies = shipSealedSegments(log, config.audit.sinks, logger, {
      dir: chainDir(config.audit.dir, chain),
      chain,
    });
    // The process that writes the directory's own chain (the single process, or the primary)
    // exports the daily evidence pack, which covers every chain (evidence/daily.ts).
    const evidence =
      config.audit.evidence.daily && chain === ''
        ? scheduleDailyEvidence({ config, secrets, audit: log, logger })
        : undefined;
    stopShipping = stopCopies;
    if (evidence) stopEvidence = () => evidence.stop();
    audit = log;
  }
  if (opts.wrapAudit) audit = opts.wrapAudit(audit);
  await loadSqlParser();
  const liveSessions = opts.liveSessions ?? new LiveSessionRegistry();
  const unsubscribe = auditIdentityEvents(audit);
  const authenticator = createAuthenticator({ oidc, sessions });
  // Each process copies the recordings it finishes; the one that starts alone (the single process,
  // or the primary before it forks workers) also copies those left over from before (recording-sinks.ts).
  const recordings = config.recording?.enabled
    ? await shipRecordings(audit, recordingSinks(config), logger, {
        dir: config.recording.dir,
        scan: (opts.auditChain ?? '') === '',
      })
    : undefined;
  const recordingFinished = (path: string) => recordings?.finished(path);
  // Every process serving the data path records its own sessions (it subscribes to their events).
  const recorder = config.recording?.enabled
    ? createSessionRecorder({
        dir: config.recording.dir,
        maxResultRows: config.recording.maxResultRows,
        onFinished: recordingFinished,
        log: hookLog(logger),
      })
    : undefined;
  const approvals = needsApprovals(config)
    ? await createApprovals({
        config,
        audit,
        authenticator,
        resolveSecret: (ref) => secrets.resolve(ref),
        liveSessions,
        log: (message, detail) => logger.warn(detail, message),
      })
    : undefined;
  const tracing = await startTracing(config, (ref) => secrets.resolve(ref));
  return {
    config,
    secrets,
    audit,
    oidc,
    sessions,
    authenticator,
    loginGuard: opts.loginGuard ?? loginGuard(config, audit, logger),
    access: createAccessChecker(config.access, { sources: approvals ? [approvals.grantSource] : [] }),
    approvals,
    policy: createPolicyEngine(config.policy, { connections: config.connections }),
    liveSessions,
    logger,
    tracer: tracing.tracer,
    recordingFinished,
    close: async () => {
      await tracing.close().catch((err: unknown) => logger.warn({ err }, 'trace export failed at close'));
      await approvals?.close();
      await recorder?.close();
      // Copies of the recordings just closed get a few seconds; the next start copies what is left.
      await recordings?.stop();
      unsubscribe();
      // An export in progress finishes first: it copies its pack and records it in this log.
      await stopEvidence();
      await audit.close();
      stopShipping();
    },
  };
}

/** Where recordings are copied: `recording.sinks` (the constructs set it), else the audit log's sinks. */
export function recordingSinks(config: WardenConfig): WardenConfig['audit']['sinks'] {
  const own = config.recording?.sinks ?? [];
  return own.length > 0 ? own : config.audit.sinks;
}

/** Approvals exist to serve rules that hold commands and just-in-time access requests. */
export function needsApprovals(config: WardenConfig): boolean {
  return config.approvals.rules.length > 0 || config.access.justInTime !== undefined;
}

/**
 * Opens this process's chain of the audit directory ('' the directory's own; see audit/chains.ts).
 * A write failure (full or read-only disk) refuses appends until the chain can be reopened, which
 * is tried every second; a line a crash left half-written is cut off and recorded.
 */
export async function openAuditLog(
  config: WardenConfig,
  secrets: SecretResolver,
  chain: string,
  logger: Logger,
): Promise<RecoveringAuditLog> {
  return RecoveringAuditLog.open(chainDir(config.audit.dir, chain), {
    onState: ({ up, cause }) =>
      up
        ? logger.warn({ chain }, 'audit log writes again; statements are served')
        : logger.error(
            { chain, err: String(cause?.cause ?? cause) },
            'ALERT audit log cannot write; every statement is refused until it can',
          ),
    signingKey: await loadEd25519(secrets, config.audit.signingKey, 'audit.signingKey'),
    checkpointEvery: config.audit.checkpointEvery,
    checkpointIntervalMs: config.audit.checkpointIntervalMs,
    segmentMaxBytes: config.audit.segmentMaxBytes,
  });
}

async function loadEd25519(secrets: SecretResolver, ref: string, path: string) {
  const pem = await secrets.resolve(ref);
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(key.asymmetricKeyType);
    return key;
  } catch (err) {
    throw new WardenError('ERR_KEY_INVALID', `${path} (${ref}) is not an Ed25519 private key in PEM form`, {
      cause: err,
    });
  }
}

/** Identity publishes token issuance, revocation and refusals; the audit log records them. */
function auditIdentityEvents(audit: AuditSink): () => void {
  const onEvent = (message: unknown) => {
    // An append that fails is already fail-closed inside the log (it refuses every later append).
    audit.append(identityAuditEvent(message as IdentityEvent)).catch(() => undefined);
  };
  diagnosticsChannel.subscribe(IDENTITY_CHANNEL, onEvent);
  return () => diagnosticsChannel.unsubscribe(IDENTITY_CHANNEL, onEvent);
}

/** An identity event as audited: `identity.<type>`, by the token's owner or revoker. */
function identityAuditEvent(e: IdentityEvent): AuditEventInput {
  switch (e.type) {
    case 'session-token.issued':
      return {
        type: 'identity.session-token.issued',
        principal: e.principal,
        body: { principal: e.principal, tokenId: e.tokenId, expiresAt: e.expiresAt },
      };
    case 'session-token.revoked':
      return {
        type: 'identity.session-token.revoked',
        principal: e.by,
        body: { by: e.by, tokenId: e.tokenId },
      };
    case 'authentication.refused':
      return {
        type: 'identity.authentication.refused',
        principal: null,
        body: { code: e.code, where: e.where },
      };
  }
}
