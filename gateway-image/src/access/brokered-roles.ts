/**
 * Which upstream role a Postgres session runs as. The client's startup user name picks it among
 * the roles a connection brokers: `upstream.user` (also picked by the principal's own name, so
 * `user=$(whoami)`-style defaults keep working where the subject is the login name) or one of
 * `roles` whose principal selector matches. A connection that declares no roles has one
 * credential, and any user name is only recorded.
 */
import type { PostgresConnectionConfig } from '../config/connections';
import type { Principal } from '../identity/principal';
import { matchesPrincipal } from '../policy/principals';

/** The login the gateway uses upstream: a role name and its password reference. */
export interface BrokeredRole {
  readonly user: string;
  readonly password: string;
  readonly acceptPrivilegedRole?: { readonly reason: string };
}

export type RoleChoice =
  | { readonly ok: true; readonly role: BrokeredRole }
  /** `allowed`: the user names this principal may give on this connection, in config order. */
  | { readonly ok: false; readonly allowed: readonly string[] };

export function chooseBrokeredRole(
  config: PostgresConnectionConfig,
  principal: Principal,
  userName: string,
): RoleChoice {
  const { upstream } = config;
  const standard: BrokeredRole = {
    user: upstream.user,
    password: upstream.password,
    ...(config.acceptPrivilegedRole ? { acceptPrivilegedRole: config.acceptPrivilegedRole } : {}),
  };
  if (config.roles.length === 0) return { ok: true, role: standard };
  const usable = config.roles.filter((r) => matchesPrincipal(r.principals, principal));
  const declared = usable.find((r) => r.user === userName);
  if (declared) return { ok: true, role: declared };
  if (userName === upstream.user || userName === principal.subject) return { ok: true, role: standard };
  const allowed = [principal.subject, upstream.user, ...usable.map((r) => r.user)];
  return { ok: false, allowed: [...new Set(allowed)] };
}

/** `config` as seen through `role`: the login every upstream connection of the session uses. */
export function withBrokeredRole(
  config: PostgresConnectionConfig,
  role: BrokeredRole,
): PostgresConnectionConfig {
  const { acceptPrivilegedRole: _ignored, ...rest } = config;
  return {
    ...rest,
    upstream: { ...config.upstream, user: role.user, password: role.password },
    ...(role.acceptPrivilegedRole ? { acceptPrivilegedRole: role.acceptPrivilegedRole } : {}),
  };
}
