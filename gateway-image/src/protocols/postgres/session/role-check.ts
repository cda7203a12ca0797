/**
 * Least privilege, checked at connect: the role the gateway logs in as is what every principal on
 * the connection acts through, so a superuser (or a member of the roles that read and write server
 * files, run server programs, signal other backends or read every session's activity) turns the
 * rules a policy states into suggestions. A PHI connection is served through such a role only
 * when the config accepts it with a reason (connections[].acceptPrivilegedRole), and every
 * session's audit then says so.
 *
 * Function resolution counts too. Policy vets functions by name: a bare `lower(…)` is PostgreSQL's
 * own only while no schema the role can use holds a function of that name — an overload there
 * (`public.lower(integer)`) wins over the built-in for the arguments it matches, and runs whatever
 * it was written to run. So the check also names every such function the role can execute, and
 * every schema it can use in which someone other than the schema's owner or itself may create one
 * (PUBLIC on `public` before PostgreSQL 15, or a grant to another role): the owner and extensions
 * are trusted as DDL is, and the role's own creations go through the gateway's rules. Operators
 * and casts call functions no statement names, so a user-defined one counts the same way.
 * https://www.postgresql.org/docs/current/predefined-roles.html
 * https://www.postgresql.org/docs/current/typeconv-func.html
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

/** An object of class `cls` that an extension installed (an administrator's, trusted as built-ins are). */
const fromExtension = (cls: string, oid: string) =>
  `EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '${cls}'::pg_catalog.regclass
    AND d.objid = ${oid} AND d.deptype = 'e')`;

/**
 * Functions outside the system schemas that the role can reach and run, less an extension's
 * (installed by an administrator, as trusted as the built-ins: pgcrypto's gen_random_uuid).
 */
const FUNCTIONS = `SELECT DISTINCT n.nspname, p.proname
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')
    AND pg_catalog.has_function_privilege(p.oid, 'EXECUTE')
    AND NOT ${fromExtension('pg_catalog.pg_proc', 'p.oid')}
  ORDER BY 1, 2`;

/** Operators outside the system schemas that the role can reach: each calls a function unseen. */
const OPERATORS = `SELECT DISTINCT n.nspname, o.oprname, o.oprcode::pg_catalog.text
  FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')
    AND NOT ${fromExtension('pg_catalog.pg_operator', 'o.oid')}
  ORDER BY 1, 2, 3`;

/** Casts (global) that run a function outside the system schemas. */
const CASTS = `SELECT c.castsource::pg_catalog.regtype::pg_catalog.text,
    c.casttarget::pg_catalog.regtype::pg_catalog.text, c.castfunc::pg_catalog.regprocedure::pg_catalog.text
  FROM pg_catalog.pg_cast c JOIN pg_catalog.pg_proc p ON p.oid = c.castfunc
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND NOT ${fromExtension('pg_catalog.pg_cast', 'c.oid')}
  ORDER BY 1, 2`;

/** Schemas the role can use where another role than their owner and itself (0: PUBLIC) may create. */
const CREATORS = `SELECT n.nspname, CASE a.grantee WHEN 0 THEN 'PUBLIC' ELSE g.rolname END
  FROM pg_catalog.pg_namespace n
  CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
  LEFT JOIN pg_catalog.pg_roles g ON g.oid = a.grantee
  WHERE a.privilege_type = 'CREATE' AND a.grantee <> n.nspowner
    AND a.grantee NOT IN (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
    AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')
  ORDER BY 1, 2`;

/**
 * What the role `config` logs in as can do beyond least privilege: `superuser`, `bypassrls`,
 * `replication`, `createrole`, the predefined roles above it is a member of, each function it can
 * run whose name is a built-in's (`isBuiltin`: the ones policy vets by name) as `function
 * <schema>.<name> shadows a built-in`, each user-defined operator it can use and cast there is
 * (they run a function no statement names: `operator <schema>.<op> runs <function>`, `cast <from>
 * AS <to> runs <function>`), and each schema it can use that others may create in as `CREATE on
 * schema <schema> for <role>`. Empty: least privilege. Rejects when the upstream
 * cannot be queried.
 */
export async function upstreamRolePrivileges(
  config: PostgresConnectionConfig,
  resolveSecret: (ref: string) => Promise<string>,
  isBuiltin: (name: string) => boolean,
  connectTimeoutMs = 10_000,
): Promise<string[]> {
  const [roles, functions, operators, casts, creators] = await queryUpstream(
    config,
    resolveSecret,
    'warden:role-check',
    [QUERY, FUNCTIONS, OPERATORS, CASTS, CREATORS],
    connectTimeoutMs,
  );
  const row = roles?.[0];
  if (!row) throw new Error('the upstream role is not in pg_roles');
  const flags = ['superuser', 'bypassrls', 'replication', 'createrole'].filter((_, i) => row[i] === 't');
  const members = (row[4] ?? '{}')
    .replace(/^\{|\}$/g, '')
    .split(',')
    .filter(Boolean);
  const shadows = (functions ?? [])
    .filter(([, name]) => name !== null && isBuiltin(name.toLowerCase()))
    .map(([schema, name]) => `function ${schema}.${name} shadows a built-in`);
  const unseen = [
    ...(operators ?? []).map(([schema, op, fn]) => `operator ${schema}.${op} runs ${fn}`),
    ...(casts ?? []).map(([from, to, fn]) => `cast ${from} AS ${to} runs ${fn}`),
  ];
  const creatable = (creators ?? []).map(([schema, role]) => `CREATE on schema ${schema} for ${role}`);
  return [...flags, ...members, ...shadows, ...unseen, ...creatable];
}
