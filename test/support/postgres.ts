/**
 * What a test file needs from the shared embedded PostgreSQL started by postgres-setup.mjs:
 * connection parameters, and a fresh database of its own so files running in parallel never see
 * each other's tables. Databases are not dropped between runs: every run gets a new cluster.
 */
import { Client } from 'pg';
import { grantGatewayRole } from '../../gateway-image/src/sandbox/gateway-roles';
import { seedHospital } from '../../gateway-image/src/sandbox/seed';

/** A seeded hospital (10,000 patients, seed 1), built on first use and copied by `createTestDatabase(name, { hospital: true })`. */
export const HOSPITAL_TEMPLATE = 'warden_hospital_template';
export const HOSPITAL_TEMPLATE_PATIENTS = 10_000;
export const HOSPITAL_TEMPLATE_SEED = 1;
// Any constant: it only has to be the same in every worker.
const TEMPLATE_LOCK = 0x5741_5244;

export interface TestPostgres {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Superuser URL for `database`. @default database 'postgres' */
  url(database?: string): string;
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** pg client options for this database (no URL parsing needed). */
  readonly connection: { host: string; port: number; user: string; password: string; database: string };
  /**
   * Makes the shared least-privilege role `warden_gateway` the owner of this database's public
   * schema and of the relations in it now, and returns its credentials: what a gateway config's
   * upstream login should use (the gateway refuses a superuser on a PHI connection). Call it after
   * creating the tables the test needs.
   */
  gatewayRole(): Promise<{ user: string; password: string }>;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

/** The least-privilege login role of test gateways, shared by the whole (per-run) test server. */
export const TEST_GATEWAY_ROLE = { user: 'warden_gateway', password: 'warden-gateway-test' } as const;

/** Connection parameters of the shared server; throws if jest ran without the global setup. */
export function testPostgres(): TestPostgres {
  const env = process.env;
  const { WARDEN_TEST_PG_HOST: host, WARDEN_TEST_PG_PORT: port, WARDEN_TEST_PG_USER: user } = env;
  const password = env.WARDEN_TEST_PG_PASSWORD;
  if (!env.WARDEN_TEST_PG_URL || !host || !port || !user || password === undefined) {
    throw new Error(
      'WARDEN_TEST_PG_* is not set: run jest with globalSetup test/support/postgres-setup.mjs ' +
        'and globalTeardown test/support/postgres-teardown.mjs',
    );
  }
  const url = (database = 'postgres') =>
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}`;
  return { host, port: Number(port), user, password, url };
}

/**
 * Creates a fresh, empty database (or, with `hospital: true`, a copy of the seeded hospital).
 * `name` is sanitised to [a-z0-9_]; an existing database of that name is replaced.
 */
export async function createTestDatabase(
  name: string,
  options: { hospital?: boolean } = {},
): Promise<TestDatabase> {
  const server = testPostgres();
  const db = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 63);
  if (!db || db === 'postgres' || db.startsWith(HOSPITAL_TEMPLATE))
    throw new Error(`unusable test database name: ${name}`);
  // FILE_COPY clones the template's files directly; with fsync off it is much faster than WAL_LOG.
  const template = options.hospital ? ` TEMPLATE ${HOSPITAL_TEMPLATE} STRATEGY FILE_COPY` : '';
  await admin(server, async (c) => {
    if (options.hospital) await ensureHospitalTemplate(c, server);
    await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${db}${template}`);
  });
  return {
    name: db,
    url: server.url(db),
    connection: {
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database: db,
    },
    async gatewayRole() {
      const c = new Client({ connectionString: server.url(db) });
      await c.connect();
      try {
        await grantGatewayRole(c, TEST_GATEWAY_ROLE.user, TEST_GATEWAY_ROLE.password, 'owner');
      } finally {
        await c.end();
      }
      return { ...TEST_GATEWAY_ROLE };
    },
    drop: () =>
      admin(server, (c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * Seeds the hospital template the first time a test asks for it, so runs that never need it do not
 * pay for it. Workers race for it, so creation is serialised by an advisory lock, and the template
 * is built under another name and renamed only once complete. Connections to it are then refused,
 * because CREATE DATABASE … TEMPLATE fails while anyone is connected to the template.
 */
async function ensureHospitalTemplate(c: Client, server: TestPostgres): Promise<void> {
  await c.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
  try {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [HOSPITAL_TEMPLATE]);
    if (rowCount) return;
    const building = `${HOSPITAL_TEMPLATE}_building`;
    await c.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${building}`);
    const seeder = new Client({ connectionString: server.url(building) });
    await seeder.connect();
    try {
      await seedHospital(seeder, { patients: HOSPITAL_TEMPLATE_PATIENTS, seed: HOSPITAL_TEMPLATE_SEED });
    } finally {
      await seeder.end();
    }
    await c.query(`ALTER DATABASE ${building} RENAME TO ${HOSPITAL_TEMPLATE}`);
    await c.query(`ALTER DATABASE ${HOSPITAL_TEMPLATE} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
  }
}

async function admin<T>(server: TestPostgres, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: server.url('postgres') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
