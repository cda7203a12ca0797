/**
 * Functions that store what they are given in server state another session (or a later one) can
 * read: settings (application_name shows in pg_stat_activity), NOTIFY payloads, large objects and
 * their OIDs, sequence values, advisory lock keys (pg_locks), WAL messages and restore points,
 * replication slot and origin names, connections to other servers. A value passed to one of them
 * leaves through a side door instead of the result, where masking works: the walker marks the
 * columns in their arguments with the clause `sink`, and policy counts them as a copy of PHI.
 */
const SINKS = new Set([
  'set_config',
  'pg_notify',
  'lo_from_bytea',
  'lo_put',
  'lowrite',
  'lo_create',
  'lo_creat',
  'lo_import',
  'lo_export',
  'setval',
  'pg_advisory_lock',
  'pg_advisory_lock_shared',
  'pg_advisory_xact_lock',
  'pg_advisory_xact_lock_shared',
  'pg_try_advisory_lock',
  'pg_try_advisory_lock_shared',
  'pg_try_advisory_xact_lock',
  'pg_try_advisory_xact_lock_shared',
  'pg_logical_emit_message',
  'pg_create_restore_point',
  'pg_backup_start',
  'pg_create_logical_replication_slot',
  'pg_create_physical_replication_slot',
  'pg_replication_origin_create',
  'pg_file_write',
]);

/** Whether a function name as facts report it (lower case, schema kept when written) is a sink. */
export function isSinkFunction(name: string): boolean {
  const bare = name.slice(name.lastIndexOf('.') + 1);
  return SINKS.has(bare) || bare.startsWith('dblink');
}
