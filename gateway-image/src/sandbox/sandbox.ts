/**
 * The database half of `warden dev` and of the integration tests: an embedded PostgreSQL 18 with
 * `patients` (synthetic PHI) and `scratch` (no PHI). The caller owns the lifecycle: call
 * `postgres.stop()` on exit and on SIGINT/SIGTERM.
 */
import {
  type EmbeddedPostgresHandle,
  type EmbeddedPostgresOptions,
  startEmbeddedPostgres,
} from './embedded-postgres';
import {
  createSandboxDatabases,
  SANDBOX_DATABASES,
  type SandboxDatabaseName,
  type SandboxSeedResult,
} from './seed';

export interface SandboxDatabaseOptions extends EmbeddedPostgresOptions {
  /** Synthetic patients to generate. @default 10000 */
  readonly patients?: number;
  /** Seed of the generator; the same seed gives the same hospital. @default 1 */
  readonly seed?: number;
}

export interface SandboxDatabaseHandle {
  readonly postgres: EmbeddedPostgresHandle;
  readonly databases: readonly SandboxDatabaseName[];
  /** Counts and timings of the hospital load, and the gateway's least-privilege role per database. */
  readonly seed: SandboxSeedResult;
  /** Superuser URL of one sandbox database: what the gateway uses as its upstream. */
  upstreamUrl(database: SandboxDatabaseName): string;
}

/** Starts the server and creates both databases; on any failure the server is stopped again. */
export async function startSandboxDatabase(
  options: SandboxDatabaseOptions = {},
): Promise<SandboxDatabaseHandle> {
  const postgres = await startEmbeddedPostgres(options);
  try {
    const seed = await createSandboxDatabases(postgres, { patients: options.patients, seed: options.seed });
    return {
      postgres,
      databases: SANDBOX_DATABASES,
      seed,
      upstreamUrl: (database) => postgres.url(database),
    };
  } catch (err) {
    await postgres.stop().catch(() => undefined);
    throw err;
  }
}
