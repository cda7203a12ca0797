import type { KubernetesConnectionConfig } from '../config/connections';
import { inspectKubernetesRequest } from '../inspect/kubernetes';
import { inspectExec } from '../inspect/ssh';
import type { HttpMasker } from '../protocols/http/hooks';
import type { KubernetesGatewayHooks } from '../protocols/kubernetes/hooks';
import { adapterHooks } from './adapter-hooks';
import { openCast } from './cast-recording';
import { withLoginGuard } from './login-guard';
import { fieldMasker, PASS_THROUGH, principalMaskers } from './principal-maskers';
import type { GatewayServices } from './services';

/** A connection's PHI namespaces as a test (default: every namespace of a PHI connection). */
function phiNamespaces(c: KubernetesConnectionConfig): { test: (ns: string) => boolean; any: boolean } {
  const patterns = c.phiNamespaces ?? (c.phi ? ['*'] : []);
  const res = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .split('*')
          .map((x) => x.replace(/\./g, '\\.'))
          .join('.*')}$`,
      ),
  );
  return { test: (ns) => res.some((re) => re.test(ns)), any: res.length > 0 };
}

/**
 * The Kubernetes adapter's view of the gateway: identity, access, inspection (the SSH inspector
 * for exec commands), policy, approvals, audit, masking and exec recording, each delegated to the
 * service that owns it, as for SSH and HTTP.
 */
export async function kubernetesHooks(services: GatewayServices): Promise<KubernetesGatewayHooks> {
  const connections = new Map(
    services.config.connections
      .filter((c): c is KubernetesConnectionConfig => c.kind === 'kubernetes')
      .map((c) => [c.name, { config: c, phi: phiNamespaces(c) }]),
  );
  const maskers = await principalMaskers(services);
  const textMasker = (principal: Parameters<typeof maskers>[0], connection: string) =>
    connections.get(connection)?.config.phi === false ? PASS_THROUGH : maskers(principal).text;

  // Grants are checked on every request, so a revoked or expired grant stops the next one.
  const hooks: KubernetesGatewayHooks = {
    ...adapterHooks(services),
    inspect(request, connection) {
      const c = connections.get(connection.name);
      return inspectKubernetesRequest(request, {
        isPhiNamespace: c?.phi.test ?? (() => true),
        anyPhiNamespace: c?.phi.any ?? true,
        extraApiGroups: connection.apiGroups,
        inspectCommand: (line) => inspectExec(line),
      });
    },
    masker(principal, connection): HttpMasker {
      if (connections.get(connection)?.config.phi === false) return { ...PASS_THROUGH, passThrough: true };
      return fieldMasker(maskers(principal));
    },
    textMasker,
    record: (meta) => openCast(services, { session: meta.session, channel: 0 }),
  };
  return withLoginGuard(hooks, services.loginGuard);
}
