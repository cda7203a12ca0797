/**
 * The least-privilege login roles the gateway brokers: no superuser, no BYPASSRLS, no predefined
 * server roles — what the gateway's role check (protocols/postgres/session/role-check.ts) asks of every
 * PHI connection. `read-write` may read and change the rows of the public schema; `owner` owns
 * the public schema and everything in it (DDL included) but nothing else on the server.
 */
import type { ClientBase } from 'pg';

export type GatewayRoleGrant = 'read-write' | 'owner';

const DUPLICATE_OBJECT = '42710';
const UNIQUE_VIOLATION = '23505';

/**
 * Creates `role` (LOGIN, with `password`) unless it exists, then grants it `grant` on the database
 * `admin` (a superuser session) is connected to. Safe to run from several processes at once.
 */
export async function grantGatewayRole(
  admin: ClientBase,
  role: string,
  password: string,
  grant: GatewayRoleGrant,
): Promise<void> {
  const r = quoteIdent(role);
  try {
    await admin.query(
      `CREATE ROLE ${r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${quoteLiteral(password)}`,
    );
  } catch (err) {
    const code = (err as { code?: string }).code;
    // Another process created it first (roles are shared by the whole server).
    if (code !== DUPLICATE_OBJECT && code !== UNIQUE_VIOLATION) throw err;
  }
  const { rows } = await admin.query<{ db: string }>('SELECT current_database() AS db');
  await admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(rows[0]!.db)} TO ${r}`);
  if (grant === 'read-write') {
    await admin.query(`GRANT USAGE ON SCHEMA public TO ${r};
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${r};
      GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${r}`);
    return;
  }
  await admin.query(`ALTER SCHEMA public OWNER TO ${r}`);
  // REASSIGN OWNED cannot take objects from the bootstrap superuser: each relation in turn.
  const owned = await admin.query<{ name: string; kind: string }>(
    `SELECT c.relname AS name, c.relkind AS kind FROM pg_catalog.pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
  );
  for (const { name, kind } of owned.rows) {
    const what =
      kind === 'v' ? 'VIEW' : kind === 'm' ? 'MATERIALIZED VIEW' : kind === 'f' ? 'FOREIGN TABLE' : 'TABLE';
    await admin.query(`ALTER ${what} public.${quoteIdent(name)} OWNER TO ${r}`);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
