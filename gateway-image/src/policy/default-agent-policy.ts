import type { PolicyRuleConfig } from '../config/policy';

/**
 * Server-side file, program and network access from SQL: reading server files, listing
 * directories, large-object import/export to the server's file system, and dblink's connections
 * to other servers. None has a place in an agent's or a person's session through Warden.
 */
export const DANGEROUS_SQL_FUNCTIONS: readonly string[] = [
  'pg_read_file',
  'pg_read_binary_file',
  'pg_ls_*',
  'pg_stat_file',
  'pg_file_*',
  'lo_export',
  'lo_import',
  'dblink*',
];

/**
 * A starting policy for PHI databases with AI agents in the loop (the rule set the local example
 * uses). Principals reach policy only with an access grant, so the last rule allows the rest.
 * The engine applies the most restrictive matching rule, so the order here only picks which
 * rule is named when two rules with the same decision both match.
 */
export const DEFAULT_AGENT_POLICY_RULES: readonly PolicyRuleConfig[] = [
  {
    name: 'deny-dangerous-functions',
    description: 'Server file, program and network access from SQL is not allowed.',
    decision: 'deny',
    reason:
      'functions that read server files, export large objects or open connections (dblink) are not allowed',
    principals: {},
    sql: { functions: [...DANGEROUS_SQL_FUNCTIONS] },
  },
  {
    name: 'deny-copy-server-side',
    description: 'COPY to or from a server file or program runs on the database host.',
    decision: 'deny',
    reason: 'COPY to or from a server file or program is not allowed; use COPY … TO STDOUT / FROM STDIN',
    principals: {},
    sql: { copy: { target: ['file', 'program'] } },
  },
  {
    name: 'deny-agent-ddl',
    description: 'Agents do not change schemas, roles or privileges.',
    decision: 'deny',
    reason: 'agents may not run DDL or GRANT/REVOKE',
    principals: { kinds: ['agent'] },
    sql: { kinds: ['ddl', 'grant'] },
  },
  {
    name: 'deny-agent-opaque',
    description: 'Agents may not run statements whose effect cannot be inspected.',
    decision: 'deny',
    reason: 'agents may not run DO blocks, CALL or EXECUTE: their effect cannot be inspected',
    principals: { kinds: ['agent'] },
    sql: { opaque: true },
  },
  {
    name: 'deny-agent-copies-phi',
    description:
      'Agents may not copy PHI into other tables, views or files, nor into server state other sessions can read.',
    decision: 'deny',
    reason:
      'agents may not copy PHI columns into another table, view, COPY output or server state (settings, large objects, notifications, sequences, lock keys)',
    principals: { kinds: ['agent'] },
    sql: { copiesPhi: true },
  },
  {
    name: 'deny-role-change',
    description: 'Nobody changes the role the gateway logged in as: the brokered role is what was reviewed.',
    decision: 'deny',
    reason:
      'SET ROLE and SET SESSION AUTHORIZATION (or the role startup parameter) are not allowed through Warden; connect as the role you need',
    principals: {},
    sql: { settings: ['role', 'session_authorization'] },
  },
  {
    name: 'deny-agent-unvetted-functions',
    description:
      'Agents call only vetted functions: built-ins without side effects, a few vetted volatile ones, and policy.vettedFunctions.',
    decision: 'deny',
    reason:
      'agents may call only vetted functions (built-ins without side effects, and those the policy vets); this statement calls another',
    principals: { kinds: ['agent'] },
    sql: { unvettedFunctions: true },
  },
  {
    name: 'deny-agent-server-utilities',
    description: 'Agents do not load libraries, force checkpoints or run server maintenance.',
    decision: 'deny',
    reason: 'agents may not run LOAD, CHECKPOINT, VACUUM, CLUSTER or REINDEX',
    principals: { kinds: ['agent'] },
    sql: { nodes: ['LoadStmt', 'CheckPointStmt', 'VacuumStmt', 'ClusterStmt', 'ReindexStmt'] },
  },
  {
    name: 'deny-agent-server-settings',
    description: 'Agents do not change settings that disable triggers or load code.',
    decision: 'deny',
    reason: 'agents may not change session_replication_role or load libraries at session start',
    principals: { kinds: ['agent'] },
    sql: { settings: ['session_replication_role', '*_preload_libraries', 'dynamic_library_path'] },
  },
  {
    name: 'hold-agent-phi-writes',
    description: 'Writes by agents to tables holding PHI need a human approval.',
    decision: 'require-approval',
    reason: 'writes by agents to tables holding PHI need approval',
    principals: { kinds: ['agent'] },
    sql: { writesClassified: true },
  },
  {
    name: 'hold-writes-without-where',
    description: 'UPDATE or DELETE without WHERE (and TRUNCATE) needs approval, whoever runs it.',
    decision: 'require-approval',
    reason: 'UPDATE or DELETE without a WHERE clause needs approval',
    principals: {},
    sql: { withoutWhere: true },
  },
  {
    name: 'hold-agent-phi-predicates',
    description: 'Agents filtering, joining or sorting on PHI columns need approval: the result reveals PHI.',
    decision: 'require-approval',
    reason: 'queries by agents that filter, join, group or sort on PHI columns need approval',
    principals: { kinds: ['agent'] },
    sql: { phiPredicates: true },
  },
  {
    name: 'deny-agent-interactive-ssh',
    description:
      "Agents run commands (ssh host 'command'); interactive shells and file transfers are for people.",
    decision: 'deny',
    reason: 'agents may run commands only, not interactive shells or file transfers',
    principals: { kinds: ['agent'] },
    ssh: { modes: ['shell', 'subsystem'] },
  },
  {
    name: 'deny-destructive-commands',
    description: 'Nobody deletes or overwrites files on a host through the gateway.',
    decision: 'deny',
    reason: 'rm, shred, dd and truncate are not allowed through the gateway',
    principals: {},
    ssh: { programs: ['rm', 'shred', 'dd', 'truncate'] },
  },
  {
    name: 'hold-agent-http-writes',
    description: 'Writes to HTTP APIs by agents need a human approval.',
    decision: 'require-approval',
    reason: 'writes to the API by agents need approval',
    principals: { kinds: ['agent'] },
    http: { methods: ['POST', 'PUT', 'PATCH', 'DELETE'] },
  },
  {
    name: 'allow-granted',
    description: 'Everything else is allowed for principals holding an access grant.',
    decision: 'allow',
    principals: {},
  },
];
