/**
 * The whole gateway for the console tests, as `warden gateway` builds it (startGateway): a real
 * OIDC issuer with the console client registered, a real PostgreSQL upstream, policy that holds
 * DELETEs for approval by `dba`, audit on disk. Plus real psql and headless Chromium helpers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { validateConfig } from '../../gateway-image/src/config/load';
import { type RunningGateway, startGateway } from '../../gateway-image/src/gateway/start';
import { type LocalIssuer, startLocalIssuer } from '../../gateway-image/src/sandbox/local-issuer';
import {
  APPROVE_DELETES_POLICY,
  DBA_APPROVE_DELETES,
  postgresConnection,
  writeGatewayFiles,
} from '../support/gateway-stack';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

export const AUDIENCE = 'urn:warden:console-test';

export interface ConsoleStack {
  readonly dir: string;
  readonly auditDir: string;
  readonly issuer: LocalIssuer;
  readonly gateway: RunningGateway;
  readonly adminUrl: string;
  readonly db: TestDatabase;
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function startConsoleStack(o: { timeoutMs: number }): Promise<ConsoleStack> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-console-'));
  const db = await createTestDatabase('approvals_console');
  const setup = new Client(db.connection);
  await setup.connect();
  await setup.query(`CREATE TABLE items(id int primary key, name text);
    INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 10) g`);
  await setup.end();
  const issuer = await startLocalIssuer({
    audience: AUDIENCE,
    agents: [{ clientId: 'claude-agent', clientSecret: 'agent-secret', groups: ['agents'] }],
    users: [
      { id: 'vera.reviewer', groups: ['dba'] },
      { id: 'rita.dba', groups: ['dba'] },
      { id: 'ada.admin', groups: ['warden-admins'] },
    ],
    // Any loopback port: the admin listener binds port 0.
    consoleRedirectUris: ['http://127.0.0.1/console/callback'],
  });
  const keys = await writeGatewayFiles(dir, { commonName: 'warden-console-test' });
  const f = keys.ref;
  process.env.CONSOLE_TEST_PG_PASSWORD = db.connection.password;
  const auditDir = join(dir, 'audit');
  const config = validateConfig({
    version: 1,
    listeners: {
      postgres: { host: '127.0.0.1', port: 0, tls: keys.tls },
      admin: { host: '127.0.0.1', port: 0 },
    },
    identity: {
      issuers: [{ issuer: issuer.issuer, audiences: [AUDIENCE] }],
      sessionTokens: { signingKey: f('session.key'), adminGroups: ['warden-admins'] },
    },
    connections: [postgresConnection('app', db, 'CONSOLE_TEST_PG_PASSWORD')],
    access: { grants: [{ name: 'app', connections: ['app'], principals: { groups: ['agents', 'dba'] } }] },
    policy: APPROVE_DELETES_POLICY,
    approvals: {
      timeoutMs: o.timeoutMs,
      rules: [DBA_APPROVE_DELETES],
    },
    audit: { dir: auditDir, signingKey: f('audit.key') },
  });
  const quiet = { info() {}, warn() {}, error() {}, debug() {} } as never;
  const gateway = await startGateway(config, { logger: quiet });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // playwright gives every launch a fresh temporary profile (its own --user-data-dir).
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    dir,
    auditDir,
    issuer,
    gateway,
    adminUrl: gateway.adminUrl!,
    db,
    browser,
    async close() {
      await browser.close().catch(() => undefined);
      await gateway.close().catch(() => undefined);
      await issuer.close().catch(() => undefined);
      await db.drop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface PsqlRun {
  readonly child: ChildProcess;
  /** Resolves with the exit code and output once psql exits. */
  readonly done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Resolves with the console link to the approval the gateway's NOTICE names. */
  readonly link: Promise<string>;
}

/** Real psql through the gateway, with the OIDC access token as the password. */
export function psql(stack: ConsoleStack, user: string, token: string, ...sql: string[]): PsqlRun {
  const pg = stack.gateway.postgres!;
  const conninfo = `host=${pg.host} port=${pg.port} dbname=app user=${user} sslmode=require`;
  const child = spawn(
    '/usr/bin/psql',
    [conninfo, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...sql.flatMap((c) => ['-c', c])],
    {
      env: { ...process.env, PGPASSWORD: token, PGCONNECT_TIMEOUT: '5' },
    },
  );
  let stdout = '';
  let stderr = '';
  let onLink: (l: string) => void = () => {};
  const link = new Promise<string>((resolve) => {
    onLink = resolve;
  });
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
    // The NOTICE names the approval; with no publicUrl configured it carries no link of its own.
    const m = /approval ([0-9a-f-]{36})/.exec(stderr);
    if (m) onLink(`${stack.adminUrl}/console/#/approvals/${m[1]}`);
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done, link };
}

/** Signs a user in to the console through the issuer's development login and consent pages. */
export async function signIn(
  stack: ConsoleStack,
  user: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await stack.browser.newContext({ viewport: { width: 1200, height: 860 } });
  const page = await context.newPage();
  await page.goto(`${stack.adminUrl}/console/`);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.locator('input[name="login"]').fill(user);
  await page.locator('input[name="password"]').fill('any');
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]').click(); // consent: "Continue"
  await page.getByRole('heading', { name: 'Pending approvals' }).waitFor();
  return { context, page };
}
