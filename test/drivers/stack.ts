/**
 * What the driver matrix runs against: the real gateway (startGateway, the real hooks) with the
 * sandbox's own config (examples/local/warden.json: its policy, masking profiles, grants and the
 * `scratch` and `patients` connections as documented) in front of one database of the shared test
 * PostgreSQL, and a real OIDC issuer handing the agent its token. Both connections reach the same
 * database as the same least-privilege role a direct client uses, so a scenario's output direct
 * and through Warden can be compared as they are.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { validateConfig } from '../../gateway-image/src/config/load';
import { type RunningGateway, startGateway } from '../../gateway-image/src/gateway/start';
import { createLogger } from '../../gateway-image/src/logging/logger';
import { grantGatewayRole } from '../../gateway-image/src/sandbox/gateway-roles';
import { startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import { envProvider, fileProvider } from '../../gateway-image/src/secrets/local-providers';
import { SecretResolver } from '../../gateway-image/src/secrets/resolver';
import { generateSelfSigned } from '../../gateway-image/src/tls/self-signed';
import { EXAMPLE_CONFIG, examplePostgresConfig } from '../support/example-config';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const AUDIENCE = 'urn:warden:driver-matrix';
/** The role `patients` brokers besides its own login, picked by this user name. */
export const READER_ROLE = { user: 'warden_matrix_reader', password: 'matrix-reader-pw' } as const;

/** Where a driver connects, and as whom: handed to each driver program as JSON. */
export interface Target {
  readonly label: 'direct' | 'warden';
  readonly host: string;
  readonly port: number;
  /** The database without PHI (`scratch` through Warden). */
  readonly database: string;
  /** The database classified as PHI (`patients` through Warden; the same database directly). */
  readonly phiDatabase: string;
  readonly user: string;
  readonly password: string;
  /** Through Warden TLS is required; directly the test server speaks plaintext. */
  readonly ssl: boolean;
  /** A brokered role (and, directly, its password: through Warden the token is the password). */
  readonly role: { readonly user: string; readonly password: string };
  /** A user name that names nobody. */
  readonly unknownUser: string;
  /** Unique per driver run: channel names and statement markers, never part of compared output. */
  readonly tag: string;
}

export interface MatrixStack {
  readonly db: TestDatabase;
  readonly gateway: RunningGateway;
  readonly auditDir: string;
  /** The agent's subject, as `application_name` upstream names it. */
  readonly subject: string;
  target(label: Target['label'], tag: string): Target;
  close(): Promise<void>;
}

/** Fixture tables: an enum the type scenarios use and a small table classified as PHI. */
const FIXTURE_SQL = `
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  CREATE SCHEMA matrix;
  CREATE TABLE matrix.marker (note text);
  INSERT INTO matrix.marker VALUES ('found through search_path');
  CREATE TABLE patients (id int PRIMARY KEY, first_name text, ssn text UNIQUE, date_of_birth date);
  INSERT INTO patients VALUES
    (1, 'Ada', '123-45-6789', '1980-03-14'),
    (2, 'Grace', '987-65-4321', '1975-11-02');
`;

export async function startMatrixStack(): Promise<MatrixStack> {
  const db = await createTestDatabase('driver_matrix');
  const admin = new Client(db.connection);
  await admin.connect();
  try {
    await admin.query(FIXTURE_SQL);
    const role = await db.gatewayRole();
    await admin.query(`ALTER SCHEMA matrix OWNER TO ${role.user}`);
    await admin.query(`ALTER TABLE matrix.marker OWNER TO ${role.user}`);
    await grantGatewayRole(admin, READER_ROLE.user, READER_ROLE.password, 'read-write');
  } finally {
    await admin.end();
  }
  const role = await db.gatewayRole();
  const issuer = await startLocalIssuer({
    audience: AUDIENCE,
    agents: [{ clientId: 'matrix-agent', clientSecret: 'matrix-secret', groups: ['agents'] }],
    accessTokenTtlSec: 3600,
  });
  const dir = await mkdtemp(join(tmpdir(), 'warden-matrix-'));
  const tls = await generateSelfSigned({ commonName: 'localhost', altNames: ['IP:127.0.0.1'] });
  await writeFile(join(dir, 'ca.pem'), tls.certificate);
  const pem = () =>
    generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem' } })
      .privateKey as unknown as string;
  const env = {
    WARDEN_DEV_AUDIT_KEY: pem(),
    WARDEN_DEV_SESSION_KEY: pem(),
    WARDEN_DEV_TLS_CERT: tls.certificate,
    WARDEN_DEV_TLS_KEY: tls.key,
    WARDEN_DEV_TOKEN_KEY: randomBytes(32).toString('base64'),
    WARDEN_DEV_PATIENTS_PASSWORD: role.password,
    WARDEN_DEV_SCRATCH_PASSWORD: role.password,
    WARDEN_MATRIX_READER_PASSWORD: READER_ROLE.password,
  };
  const raw = await examplePostgresConfig();
  raw.identity.issuers[0].issuer = issuer.issuer;
  raw.identity.issuers[0].audiences = [AUDIENCE];
  for (const conn of raw.connections) {
    Object.assign(conn.upstream, {
      host: db.connection.host,
      port: db.connection.port,
      user: role.user,
      database: db.name,
    });
    if (conn.name === 'patients') {
      conn.roles = [{ user: READER_ROLE.user, password: 'env:WARDEN_MATRIX_READER_PASSWORD' }];
    }
  }
  raw.workers = 1;
  // Nobody approves in the matrix: a held statement is refused after a second.
  raw.approvals.timeoutMs = 1000;
  raw.audit.dir = join(dir, 'audit');
  raw.recording.dir = join(dir, 'recordings');
  const gateway = await startGateway(validateConfig(raw, EXAMPLE_CONFIG), {
    secrets: new SecretResolver([envProvider(env), fileProvider()]),
    logger: createLogger({ WARDEN_LOG_LEVEL: 'error' }),
  });
  const token = await issuer.agentToken('matrix-agent');
  return {
    db,
    gateway,
    auditDir: raw.audit.dir,
    subject: 'matrix-agent',
    target(label, tag) {
      const common = { label, tag, unknownUser: 'nobody-in-particular' } as const;
      if (label === 'direct') {
        return {
          ...common,
          host: db.connection.host,
          port: db.connection.port,
          database: db.name,
          phiDatabase: db.name,
          user: role.user,
          password: role.password,
          ssl: false,
          role: READER_ROLE,
        };
      }
      return {
        ...common,
        host: gateway.postgres!.host,
        port: gateway.postgres!.port,
        database: 'scratch',
        phiDatabase: 'patients',
        // Without declared roles (scratch) any user name logs in as the connection's role.
        user: role.user,
        password: token,
        ssl: true,
        role: { user: READER_ROLE.user, password: token },
      };
    },
    async close() {
      await gateway.close();
      await issuer.close();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
