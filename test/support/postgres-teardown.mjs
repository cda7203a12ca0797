/** Jest globalTeardown: stops the server from postgres-setup.mjs and removes its data directory. */
export default async function postgresTeardown() {
  const pg = globalThis.__WARDEN_PG__;
  globalThis.__WARDEN_PG__ = undefined;
  await pg?.stop();
}
