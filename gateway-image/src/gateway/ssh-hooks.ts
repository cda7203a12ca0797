import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SshConnectionConfig } from '../config/connections';
import type { Principal } from '../identity/principal';
import { inspectSsh } from '../inspect/ssh';
import { createDetectors } from '../masking/detectors';
import { type MaskingPolicy, resolveMaskingPolicy } from '../masking/profile';
import { createTextMasker, type TextMasker } from '../masking/text-masker';
import type { TokenKeyring } from '../masking/token';
import type { RecordingTarget, SshRecordingMeta, SshSessionHooks } from '../protocols/ssh/hooks';
import { startSshListener } from '../protocols/ssh/listener';
import { errorSummary, hookLog } from './hook-log';
import { withLoginGuard } from './login-guard';
import type { GatewayServices } from './services';
import { sshFileMasking } from './ssh-file-masking';
import type { ListenerAddress } from './start';
import { loadTokenKeyring } from './token-keys';

/** Masking for one principal: the profile's policy, its free-text masker, and the token keys. */
export interface PrincipalMasking {
  readonly policy: MaskingPolicy;
  readonly text: TextMasker;
  readonly tokens: TokenKeyring | undefined;
}

/**
 * Builds the per-principal masking the SSH and HTTP paths share. The token key is resolved here,
 * once, because the adapters ask for a masker synchronously on their hot path; maskers are cached
 * per masking profile, since the profile alone decides what a principal's masker does.
 */
export async function principalMaskers(
  services: GatewayServices,
): Promise<(principal: Principal) => PrincipalMasking> {
  const { masking } = services.config;
  const detectors = masking.detectors.enabled
    ? createDetectors({ mrnPatterns: masking.detectors.mrnPatterns })
    : [];
  const tokens = await loadTokenKeyring(masking, (ref) => services.secrets.resolve(ref));
  const byProfile = new Map<string, PrincipalMasking>();
  return (principal) => {
    const policy = resolveMaskingPolicy(masking, principal);
    const key = policy.profile ?? '';
    let m = byProfile.get(key);
    if (!m) {
      m = { policy, text: createTextMasker({ policy, detectors, tokens }), tokens };
      byProfile.set(key, m);
    }
    return m;
  };
}

/** Connections that hold no PHI are relayed unmasked, as Postgres connections without PHI are. */
export const PASS_THROUGH: TextMasker = { mask: (text) => ({ text, counts: {} }) };

/**
 * The SSH adapter's view of the gateway: identity, access, inspection, policy, approvals, audit,
 * masking and recording, each delegated to the service that owns it.
 */
export async function sshHooks(services: GatewayServices): Promise<SshSessionHooks> {
  const { config } = services;
  const connections = new Map(
    config.connections.filter((c): c is SshConnectionConfig => c.kind === 'ssh').map((c) => [c.name, c]),
  );
  const maskers = await principalMaskers(services);
  const masker = (principal: Principal, connection: string): TextMasker =>
    connections.get(connection)?.phi === false ? PASS_THROUGH : maskers(principal).text;
  const approvals = services.approvals;
  const files = sshFileMasking([...connections.values()], maskers);

  const hooks: SshSessionHooks = {
    authenticate: (token) => services.authenticator.authenticate(token),
    authorize(principal, connection) {
      const r = services.access.check(principal, connection);
      if (!r.allowed) return { allowed: false, reason: r.reason };
      return {
        allowed: true,
        ...(r.expiresAt ? { expiresAt: r.expiresAt } : {}),
        ...(r.revoked ? { revoked: r.revoked } : {}),
      };
    },
    resolveConnection: (name) => connections.get(name),
    resolveSecret: (ref) => services.secrets.resolve(ref),
    inspect: (request, connection) => {
      const classified = files.classified(connection);
      return inspectSsh(request, classified ? { classified } : {});
    },
    outputMasker: (request) => files.outputMasker(request),
    classifiedFile: (connection, path) => files.classified(connection)?.(path) ?? false,
    decide: (principal, connection, facts) => services.policy.decide(principal, connection, facts),
    awaitApproval: approvals && ((r) => approvals.awaitApproval(r)),
    async audit(input) {
      const event = {
        type: input.type,
        principal: input.principal ?? null,
        connection: input.connection,
        session: input.session,
        body: { protocol: 'ssh', ...input.body },
      };
      const { audit } = services;
      // A result rides with the next durable append (group commit); an attempt is durable first.
      await (input.deferred && audit.appendDeferred ? audit.appendDeferred(event) : audit.append(event));
    },
    masker,
    opened: (info) => services.liveSessions.open('ssh', info),
    record: (meta) => openCast(services, meta),
    log: hookLog(services.logger),
    ...(services.tracer ? { tracer: services.tracer } : {}),
  };
  return withLoginGuard(hooks, services.loginGuard);
}

/**
 * `<recording.dir>/<session>.cast`, and `<session>.<channel>.cast` for later channels of the
 * same connection. The file is open before the channel runs, so an unwritable directory refuses
 * the command instead of running it unrecorded. With recording off, lines go nowhere.
 */
export async function openCast(
  services: GatewayServices,
  meta: Pick<SshRecordingMeta, 'session' | 'channel'>,
): Promise<RecordingTarget> {
  const rec = services.config.recording;
  if (!rec?.enabled) return { write: () => {}, close: async () => {} };
  // Recordings hold masked output that may still be sensitive: owner-only, never overwritten.
  await recordingDir(rec.dir);
  const name = meta.channel === 0 ? `${meta.session}.cast` : `${meta.session}.${meta.channel}.cast`;
  const file = createWriteStream(join(rec.dir, name), { flags: 'wx', mode: 0o600 });
  await new Promise<void>((resolve, reject) => {
    file.once('open', () => resolve());
    file.once('error', (err) => {
      // The directory may have gone since it was made: the next command makes it again.
      madeDirs.delete(rec.dir);
      reject(err);
    });
  });
  file.on('error', (err) =>
    services.logger.error({ session: meta.session, err: errorSummary(err) }, 'ssh recording write failed'),
  );
  return {
    write: (line) => {
      if (!file.destroyed) file.write(line);
    },
    close: () => new Promise<void>((resolve) => file.end(() => resolve())),
  };
}

/** Recording directories made by this process: a command opens its file without a mkdir first. */
const madeDirs = new Map<string, Promise<unknown>>();

function recordingDir(dir: string): Promise<unknown> {
  let made = madeDirs.get(dir);
  if (!made) {
    made = mkdir(dir, { recursive: true, mode: 0o700 });
    madeDirs.set(dir, made);
    made.catch(() => madeDirs.delete(dir));
  }
  return made;
}

/** Starts the SSH listener when the config has one; mirrors startPostgres in start.ts. */
export async function startSsh(
  services: GatewayServices,
  closers: (() => Promise<void>)[],
): Promise<ListenerAddress | undefined> {
  const ssh = services.config.listeners.ssh;
  if (!ssh) return undefined;
  const listener = await startSshListener({
    host: ssh.host,
    port: ssh.port,
    hostKey: await services.secrets.resolve(ssh.hostKey),
    authTimeoutMs: ssh.authTimeoutMs,
    hooks: await sshHooks(services),
  });
  closers.unshift(() => listener.close());
  return { host: listener.address.address, port: listener.address.port };
}
