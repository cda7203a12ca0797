/**
 * Chooses the connection for a request. The convention (also in the config's `route` doc):
 *   route.host only        requests whose Host header (port ignored) is that name; path forwarded as is
 *   route.pathPrefix only  requests under that prefix (whole segments); the prefix is removed
 *   both                   both must match
 *   neither (the default)  path prefix /<connection name>/
 * A host route is more specific than a prefix-only route; among prefixes the longest wins.
 */
import type { HttpConnectionConfig } from '../../config/connections';

export interface RouteMatch {
  readonly connection: HttpConnectionConfig;
  /** The request path with the route prefix removed; always starts with "/". */
  readonly path: string;
}

interface Route {
  readonly connection: HttpConnectionConfig;
  readonly host?: string;
  /** Without a trailing slash; "" matches every path. */
  readonly prefix: string;
}

export type Router = (hostHeader: string | undefined, path: string) => RouteMatch | undefined;

export function createRouter(connections: readonly HttpConnectionConfig[]): Router {
  const routes: Route[] = connections.map((connection) => {
    const { host, pathPrefix } = connection.route;
    const prefix = (pathPrefix ?? (host === undefined ? `/${connection.name}` : '')).replace(/\/+$/, '');
    return { connection, ...(host === undefined ? {} : { host: host.toLowerCase() }), prefix };
  });
  // Most specific first: host routes, then longer prefixes.
  routes.sort(
    (a, b) =>
      Number(b.host !== undefined) - Number(a.host !== undefined) || b.prefix.length - a.prefix.length,
  );
  return (hostHeader, path) => {
    const host = hostHeader
      ?.toLowerCase()
      .replace(/:\d+$/, '')
      .replace(/^\[(.*)\]$/, '$1');
    for (const r of routes) {
      if (r.host !== undefined && r.host !== host) continue;
      if (r.prefix === '') return { connection: r.connection, path };
      if (path === r.prefix) return { connection: r.connection, path: '/' };
      if (path.startsWith(`${r.prefix}/`))
        return { connection: r.connection, path: path.slice(r.prefix.length) };
    }
    return undefined;
  };
}
