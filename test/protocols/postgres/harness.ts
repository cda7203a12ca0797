/**
 * A gateway in front of a real PostgreSQL, with small in-test hooks standing in for identity,
 * access, inspect, policy and audit (the real ones are wired by the lead). Tokens:
 *   alice-token → agent alice; mallory-token → a principal without a grant; expiring-token → alice,
 *   expires 1.5 s after login; anything else is refused.
 * Policy: reading table `secrets` is denied (rule no-secrets); DELETE requires approval
 * (rule approve-deletes); the rest is allowed. `SELEC` is a syntax error for the toy inspector.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, Client as PgClient } from 'pg';
import type { PostgresConnectionConfig } from '../../../gateway-image/src/config/connections';
import { AuditError, AuthenticationError } from '../../../gateway-image/src/errors';
import type { Principal } from '../../../gateway-image/src/identity/principal';
import type { SqlFacts, SqlStatementFacts } from '../../../gateway-image/src/inspect/facts';
import type { Decision } from '../../../gateway-image/src/policy/decision';
import type {
  PostgresAuditInput,
  PostgresSessionHooks,
} from '../../../gateway-image/src/protocols/postgres/hooks';
import {
  type PostgresListener,
  startPostgresListener,
} from '../../../gateway-image/src/protocols/postgres/session/listener';
import { makeCertificates, startTestPostgres, type TestCertificates, type TestPostgres } from './support';

let harnesses = 0;

export interface Harness {
  readonly pg: TestPostgres;
  readonly admin: Client;
  /** Upstream role and database, unique per harness (the PostgreSQL server may be shared). */
  readonly appRole: string;
  readonly appDatabase: string;
  /** A direct connection to the upstream database as the app role (for setup and comparisons). */
  direct(): Promise<Client>;
  readonly listener: PostgresListener;
  readonly port: number;
  readonly certs: TestCertificates;
  readonly audit: PostgresAuditInput[];
  /** The `clinic` connection the default `resolveConnection` hook returns. */
  readonly connection: PostgresConnectionConfig;
  readonly logs: { message: string; err?: unknown }[];
  /** Secret values by reference; tests change them to rotate. */
  readonly secrets: Map<string, string>;
  auditDown: boolean;
  /** Connection options for a pg client through the gateway. */
  clientConfig(token?: string, extra?: object): object;
  close(): Promise<void>;
}

function principal(subject: string, expiresInMs = 3_600_000): Principal {
  return {
    subject,
    kind: 'agent',
    groups: ['agents'],
    issuer: 'https://issuer.test',
    expiresAt: new Date(Date.now() + expiresInMs),
    via: 'oidc',
  };
}

/** Parser node tags for the toy's kinds: the gateway checks command tags against them. */
const TOY_NODES: Record<string, string> = {
  select: 'SelectStmt',
  insert: 'InsertStmt',
  update: 'UpdateStmt',
  delete: 'DeleteStmt',
  copy: 'CopyStmt',
};

/** A toy inspector: enough structure for policy decisions and audit in these tests. */
export function toyInspect(sql: string): SqlFacts {
  const bad = sql.search(/\bSELEC\b/);
  if (bad >= 0) {
    throw Object.assign(new Error('syntax error at or near "SELEC"'), {
      code: 'ERR_SQL_SYNTAX',
      position: bad + 1,
    });
  }
  const statements: SqlStatementFacts[] = sql
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const word = s.split(/\s+/)[0]!.toLowerCase();
      const reads = [...s.matchAll(/\b(?:from|join)\s+([a-z_][a-z0-9_.]*)/gi)].map((m) =>
        m[1]!.toLowerCase(),
      );
      const setting = /^set\s+search_path\s*(?:to|=)\s*(.+)$/i.exec(s);
      return {
        kind: (['select', 'insert', 'update', 'delete', 'copy'].includes(word)
          ? word
          : 'other') as SqlStatementFacts['kind'],
        node: TOY_NODES[word] ?? 'Toy',
        reads,
        writes: [],
        columns: [],
        functions: [],
        opaque: false,
        returnsRows: word === 'select',
        ...(setting
          ? {
              setting: {
                name: 'search_path',
                local: false,
                value: setting[1]!.split(',').map((v) => v.trim()),
              },
            }
          : {}),
      };
    });
  return {
    protocol: 'postgres',
    statements,
    normalized: sql,
    fingerprint: createHash('sha256').update(sql).digest('hex').slice(0, 16),
  };
}

export function toyDecide(facts: SqlFacts): Decision {
  for (const s of facts.statements) {
    if (s.reads.some((r) => r === 'secrets' || r.endsWith('.secrets'))) {
      return { outcome: 'deny', rule: 'no-secrets', reason: 'table secrets is off limits' };
    }
  }
  if (facts.statements.some((s) => s.kind === 'delete')) {
    return {
      outcome: 'require-approval',
      rule: 'approve-deletes',
      reason: 'deletes need a second pair of eyes',
    };
  }
  return { outcome: 'allow', rule: 'default-allow' };
}

export async function startHarness(
  options: {
    hooks?: Partial<PostgresSessionHooks>;
    allowPlaintextPassword?: boolean;
    maxStatementBytes?: number;
  } = {},
): Promise<Harness> {
  const pg = await startTestPostgres();
  const admin = await pg.admin();
  const suffix = `${process.pid}_${++harnesses}_${Date.now() % 100000}`;
  const appRole = `warden_app_${suffix}`;
  const appDatabase = `clinic_${suffix}`;
  await admin.query(`create role ${appRole} login password 'app-pw-1'`);
  await admin.query(`create database ${appDatabase} owner ${appRole}`);
  const dir = mkdtempSync(join(tmpdir(), 'warden-gw-'));
  const certs = makeCertificates(dir);
  if (pg.ca) writeFileSync(join(dir, 'upstream-ca.crt'), pg.ca);
  const secrets = new Map<string, string>([['env:WARDEN_TEST_APP_PW', 'app-pw-1']]);
  if (pg.ca) secrets.set(`file:${dir}/upstream-ca.crt`, pg.ca);
  const audit: PostgresAuditInput[] = [];
  const logs: { message: string; err?: unknown }[] = [];
  const connection: PostgresConnectionConfig = {
    name: 'clinic',
    kind: 'postgres',
    phi: true,
    classification: {},
    roles: [],
    upstream: {
      host: pg.host,
      port: pg.port,
      database: appDatabase,
      user: appRole,
      password: 'env:WARDEN_TEST_APP_PW',
      tls: pg.ca
        ? { mode: 'verify-full', ca: `file:${dir}/upstream-ca.crt`, serverName: 'localhost' }
        : { mode: 'disable' },
    },
  };
  const h = { auditDown: false } as { auditDown: boolean };
  const hooks: PostgresSessionHooks = {
    async authenticate(token) {
      if (token === 'alice-token') return principal('alice');
      if (token === 'mallory-token') return principal('mallory');
      if (token === 'expiring-token') return principal('alice', 1500);
      throw new AuthenticationError('ERR_TOKEN_INVALID', 'the token is not valid');
    },
    authorize: (p) =>
      p.subject === 'mallory' ? { allowed: false, reason: 'no standing grant' } : { allowed: true },
    resolveConnection: (name) => (name === 'clinic' ? connection : undefined),
    async resolveSecret(ref) {
      const v = secrets.get(ref);
      if (v === undefined) throw new Error(`unknown secret ${ref}`);
      return v;
    },
    inspect: (sql) => toyInspect(sql),
    decide: (_p, _c, facts) => toyDecide(facts),
    async audit(input) {
      if (h.auditDown) throw new AuditError('disk full');
      audit.push(input);
    },
    log: (e) => logs.push({ message: e.message, err: e.err }),
    ...options.hooks,
  };
  const listener = await startPostgresListener({
    host: '127.0.0.1',
    port: 0,
    tls: { cert: certs.cert, key: certs.key },
    allowPlaintextPassword: options.allowPlaintextPassword ?? false,
    ...(options.maxStatementBytes === undefined ? {} : { maxStatementBytes: options.maxStatementBytes }),
    hooks,
  });
  const port = listener.address.port;
  return Object.assign(h, {
    pg,
    admin,
    appRole,
    appDatabase,
    async direct() {
      const c = new PgClient({
        host: pg.host,
        port: pg.port,
        user: appRole,
        password: secrets.get('env:WARDEN_TEST_APP_PW'),
        database: appDatabase,
      });
      await c.connect();
      return c;
    },
    listener,
    port,
    certs,
    audit,
    connection,
    logs,
    secrets,
    clientConfig: (token = 'alice-token', extra: object = {}) => ({
      host: '127.0.0.1',
      port,
      user: 'alice@example.com',
      database: 'clinic',
      password: token,
      ssl: { ca: certs.ca, servername: 'localhost' },
      ...extra,
    }),
    async close() {
      await listener.close();
      await admin.query(`drop database if exists ${appDatabase} with (force)`);
      await admin.query(`drop role if exists ${appRole}`);
      await admin.end();
      await pg.stop();
    },
  });
}
