import type { SshConnectionConfig } from '../config/connections';
import type { Principal } from '../identity/principal';
import { inspectSsh } from '../inspect/ssh';
import type { TextMasker } from '../masking/text-masker';
import type { SshSessionHooks } from '../protocols/ssh/hooks';
import { adapterHooks } from './adapter-hooks';
import { openCast } from './cast-recording';
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
  const files = sshFileMasking([...connections.values()], maskers);

  const hooks: SshSessionHooks = {
    ...adapterHooks(services),
    resolveConnection: (name) => connections.get(name),
    inspect: (request, connection) => {
      const classified = files.classified(connection);
      return inspectSsh(request, classified ? { classified } : {});
    },
    outputMasker: (request) => files.outputMasker(request),
    classifiedFile: (connection, path) => files.classified(connection)?.(path) ?? false,
    masker,
    opened: (info) => services.liveSessions.open('ssh', info),
    record: (meta) => openCast(services, meta),
  };
  return withLoginGuard(hooks, services.loginGuard);
}
