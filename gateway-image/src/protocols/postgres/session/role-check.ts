/**
 * Least privilege, checked at connect: the role the gateway logs in as is what every principal on
 * the connection acts through, so a superuser (or a member of the roles that read and write server
 * files, run server programs, signal other backends or read every session's activity) turns the
 * rules a policy states into suggestions. A PHI connection is served through such a role only
 * when the config accepts it with a reason (connections[].acceptPrivilegedRole), and every
 * session's audit then says so.
 * https://www.postgresql.org/docs/current/predefined-roles.html
 */
import type { PostgresConnectionConfig } from '../../../config/connections';
import { queryUpstream } from './upstream-query';

/** Predefined roles whose membership gives the brokered role server-level powers. */
export const PRIVILEGED_PREDEFINED_ROLES = [
  'pg_read_server_files',
  'pg_write_server_files',
  'pg_execute_server_program',
  'pg_signal_backend',
  'pg_signal_autovacuum_worker',
  'pg_read_all_stats',
  'pg_monitor',
  'pg_checkpoint',
  'pg_create_subscription',
] as const;

// Membership, not only inherited privilege: a member can SET ROLE to the predefined role.
const QUERY = `SELECT r.rolsuper, r.rolbypassrls, r.rolreplication, r.rolcreaterole,
    ARRAY(SELECT b.rolname FROM pg_catalog.pg_roles b
      WHERE b.rolname IN (${PRIVILEGED_PREDEFINED_ROLES.map((n) => `'${n}'`).join(', ')})
        AND pg_catalog.pg_has_role(r.oid, b.oid, 'MEMBER') ORDER BY 1)
  FROM pg_catalog.pg_roles r WHERE r.rolname = current_user`;

/**
 * The server-level privileges of the role `config` logs in as: `superuser`, `bypassrls`,
 * `replication`, `createrole` and the predefined roles above it is a member of. Empty: least
 * privilege. Rejects when the upstream cannot be queried.
 */
export async function upstreamRolePrivileges(
  config: PostgresConnectionConfig,
  resolveSecret: (ref: string) => Promise<string>,
  connectTimeoutMs = 10_000,
): Promise<string[]> {
  const [rows] = await queryUpstream(config, resolveSecret, 'warden:role-check', [QUERY], connectTimeoutMs);
  const row = rows?.[0];
  if (!row) throw new Error('the upstream role is not in pg_roles');
  const flags = ['superuser', 'bypassrls', 'replication', 'createrole'].filter((_, i) => row[i] === 't');
  const members = (row[4] ?? '{}')
    .replace(/^\{|\}$/g, '')
    .split(',')
    .filter(Boolean);
  return [...flags, ...members];
}
