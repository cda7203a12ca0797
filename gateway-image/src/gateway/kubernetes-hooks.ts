import type { KubernetesConnectionConfig } from '../config/connections';
import { inspectKubernetesRequest } from '../inspect/kubernetes';
import { inspectExec } from '../inspect/ssh';
import { applyStrategy } from '../masking/strategies';
import type { HttpMasker } from '../protocols/http/hooks';
import type { KubernetesGatewayHooks } from '../protocols/kubernetes/hooks';
import { openCast } from './cast-recording';
import { hookLog } from './hook-log';
import { withLoginGuard } from './login-guard';
import { PASS_THROUGH, principalMaskers } from './principal-maskers';
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
  const approvals = services.approvals;
  const textMasker = (principal: Parameters<typeof maskers>[0], connection: string) =>
    connections.get(connection)?.config.phi === false ? PASS_THROUGH : maskers(principal).text;

  const hooks: KubernetesGatewayHooks = {
    authenticate: (token) => services.authenticator.authenticate(token),
    authorize(principal, connection) {
      // Checked on every request, so a revoked or expired grant stops the next one.
      const r = services.access.check(principal, connection);
      if (!r.allowed) return { allowed: false, reason: r.reason };
      return r.expiresAt ? { allowed: true, expiresAt: r.expiresAt } : { allowed: true };
    },
    resolveSecret: (ref) => services.secrets.resolve(ref),
    inspect(request, connection) {
      const c = connections.get(connection.name);
      return inspectKubernetesRequest(request, {
        isPhiNamespace: c?.phi.test ?? (() => true),
        anyPhiNamespace: c?.phi.any ?? true,
        extraApiGroups: connection.apiGroups,
        inspectCommand: (line) => inspectExec(line),
      });
    },
    ...(services.tracer ? { tracer: services.tracer } : {}),
    decide: (principal, connection, facts) => services.policy.decide(principal, connection, facts),
    awaitApproval: approvals && ((r) => approvals.awaitApproval(r)),
    async audit(input) {
      await services.audit.append({
        type: input.type,
        principal: input.principal ?? null,
        connection: input.connection,
        session: input.session,
        body: { protocol: 'kubernetes', ...input.body },
      });
    },
    masker(principal, connection): HttpMasker {
      if (connections.get(connection)?.config.phi === false) return { ...PASS_THROUGH, passThrough: true };
      const { policy, text, tokens } = maskers(principal);
      const maskText = (s: string) => text.mask(s).text;
      return {
        mask: (s) => text.mask(s),
        maskField: (entity, value) =>
          applyStrategy(policy.strategyFor(entity), entity, value, { tokens, maskText }),
      };
    },
    textMasker,
    record: (meta) => openCast(services, { session: meta.session, channel: 0 }),
    log: hookLog(services.logger),
  };
  return withLoginGuard(hooks, services.loginGuard);
}
