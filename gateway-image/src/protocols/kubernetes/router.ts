/**
 * Chooses the Kubernetes connection for a request by path prefix: `route.pathPrefix`, by default
 * `/<name>`, whole segments only, the longest first; with a single connection, unprefixed paths too. A kubeconfig's server URL carries the prefix
 * (https://gateway:6443/prod), so kubectl and client libraries need nothing else.
 */
import type { KubernetesConnectionConfig } from '../../config/connections';

export interface KubernetesRoute {
  readonly connection: KubernetesConnectionConfig;
  /** The path with the prefix removed; always starts with "/". */
  readonly path: string;
}

export function prefixOf(connection: KubernetesConnectionConfig): string {
  return (connection.route.pathPrefix ?? `/${connection.name}`).replace(/\/+$/, '');
}

export function createKubernetesRouter(
  connections: readonly KubernetesConnectionConfig[],
): (path: string) => KubernetesRoute | undefined {
  const routes = connections
    .map((connection) => ({ connection, prefix: prefixOf(connection) }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  // With one cluster, API paths without the prefix reach it too: kubectl get --raw and some
  // clients build absolute paths from the host alone (prefixes may not shadow /api, /apis, …).
  const only = connections.length === 1 ? connections[0] : undefined;
  return (path) => {
    for (const r of routes) {
      if (path === r.prefix) return { connection: r.connection, path: '/' };
      if (path.startsWith(`${r.prefix}/`))
        return { connection: r.connection, path: path.slice(r.prefix.length) };
    }
    return only ? { connection: only, path } : undefined;
  };
}
