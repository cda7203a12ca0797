import type { PostgresConnectionConfig } from '../config/connections';
import { cachedSqlInspector } from '../inspect/sql/cache';
import { isVettedBuiltin } from '../policy/vetted-functions';
import type { PostgresSessionHooks } from '../protocols/postgres/hooks';
import { upstreamRolePrivileges } from '../protocols/postgres/session/role-check';
import { adapterHooks } from './adapter-hooks';
import { withLoginGuard } from './login-guard';
import { postgresMasking } from './postgres-masking';
import type { GatewayServices } from './services';

/**
 * The Postgres adapter's view of the gateway: identity, access, inspection, policy and audit,
 * each delegated to the protocol-neutral service that owns it.
 */
export function postgresHooks(services: GatewayServices): PostgresSessionHooks {
  const connections = new Map(
    services.config.connections
      .filter((c): c is PostgresConnectionConfig => c.kind === 'postgres')
      .map((c) => [c.name, c]),
  );
  const roles = roleChecks((config) =>
    upstreamRolePrivileges(config, (ref) => services.secrets.resolve(ref), isVettedBuiltin),
  );
  const hooks: PostgresSessionHooks = {
    ...adapterHooks(services),
    resolveConnection: (name) => connections.get(name),
    inspect: cachedSqlInspector(),
    masking: postgresMasking(services),
    opened: (info) => services.liveSessions.open('postgres', info),
    upstreamRole: roles,
  };
  return withLoginGuard(hooks, services.loginGuard);
}

/** How long a role check stands before the next login checks again (grants change). */
const ROLE_CHECK_TTL_MS = 3600_000;

/**
 * The role check, once per connection and role for an hour: concurrent logins share one query;
 * a failed check is not kept, so the next login tries again.
 */
function roleChecks(
  check: (config: PostgresConnectionConfig) => Promise<string[]>,
): (config: PostgresConnectionConfig) => Promise<readonly string[]> {
  const cache = new Map<string, { at: number; result: Promise<string[]> }>();
  return (config) => {
    const key = `${config.name}\0${config.upstream.user}`;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < ROLE_CHECK_TTL_MS) return hit.result;
    const result = check(config);
    cache.set(key, { at: Date.now(), result });
    result.catch(() => cache.delete(key));
    return result;
  };
}
