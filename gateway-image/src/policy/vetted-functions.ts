/**
 * The functions agents may call (sql.unvettedFunctions): an allowlist, not a denylist, because a
 * function can write what it is given anywhere — a setting, a large object, a sequence, a lock key —
 * and a new one appears with every release and extension. Vetted are PostgreSQL's built-ins that
 * have no side effect (every overload immutable or stable; generated from the catalog), a few
 * volatile built-ins that only read the clock, random numbers or the session's own state or wait,
 * and whatever the deployment adds in policy.vettedFunctions.
 */
import { type Matcher, nameMatcher } from './glob';
import { STABLE_BUILTIN_FUNCTIONS } from './vetted-functions-list';

/** Volatile built-ins without a side effect others can see. */
export const VETTED_VOLATILE_FUNCTIONS: readonly string[] = [
  'clock_timestamp',
  'timeofday',
  'random',
  'random_normal',
  'gen_random_uuid',
  'uuidv4',
  'uuidv7',
  'pg_sleep',
  'pg_sleep_for',
  'pg_sleep_until',
  'currval',
  'lastval',
  'pg_relation_size',
  'pg_total_relation_size',
  'pg_table_size',
  'pg_indexes_size',
  'pg_database_size',
];

const BUILTIN = new Set([
  ...STABLE_BUILTIN_FUNCTIONS.split(/\s+/).filter(Boolean),
  ...VETTED_VOLATILE_FUNCTIONS,
]);

/** Whether a bare name is one of the built-ins vetted by name (a user function of that name shadows it). */
export function isVettedBuiltin(name: string): boolean {
  return BUILTIN.has(name);
}

/**
 * Whether a function name as facts report it (lower case, schema kept when written) is vetted.
 * Built-ins count bare or qualified with pg_catalog; a name qualified with any other schema is a
 * different function and needs its own entry in `extra`.
 */
export function functionVetter(extra: readonly string[]): Matcher {
  const added = extra.length > 0 ? nameMatcher(extra) : () => false;
  return (name) => {
    const bare = name.startsWith('pg_catalog.') ? name.slice('pg_catalog.'.length) : name;
    return (!bare.includes('.') && BUILTIN.has(bare)) || added(name);
  };
}
