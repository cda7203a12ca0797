import type { SshConnectionConfig } from '../config/connections';
import type { Principal } from '../identity/principal';
import { inspectSsh } from '../inspect/ssh';
import type { TextMasker } from '../masking/text-masker';
import type { SshSessionHooks } from '../protocols/ssh/hooks';
import { openCast } from './cast-recording';
import { hookLog } from './hook-log';
import { withLoginGuard } from './login-guard';
import { PASS_THROUGH, principalMaskers } from './principal-maskers';
import type { GatewayServices } from './services';
import { sshFileMasking } from './ssh-file-masking';

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
