/**
 * What the soak runs against: the `warden dev` sandbox (embedded Postgres with the synthetic
 * hospital, the local OIDC issuer, the lab SSH host, the FHIR API, the example policy) with the
 * gateway run as operators run it, `warden gateway --config FILE` in a process of its own with
 * `workers: auto`. Several gateway processes need a shared approvals store: a database of the
 * sandbox server. The scratch database gets pgbench-like tables owned by its gateway role.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import {
  SANDBOX_AGENT,
  SANDBOX_APPROVER,
  type SandboxParts,
  startSandboxParts,
} from '../../gateway-image/src/sandbox/dev-stack';

const ROOT = join(__dirname, '..', '..');
export const WARDEN_BIN = join(ROOT, 'gateway-image', 'bin', 'warden.js');
const TEMPLATE = join(ROOT, 'examples', 'local', 'warden.json');

/** pgbench-like scale of the scratch tables: branches, and tellers and accounts per branch. */
export const SCRATCH_BRANCHES = 50;
export const SCRATCH_TELLERS_PER_BRANCH = 10;
export const SCRATCH_ACCOUNTS_PER_BRANCH = 2000;

export interface Address {
  readonly host: string;
  readonly port: number;
}

export interface SoakStack {
  readonly postgres: Address;
  readonly ssh: Address;
  readonly http: Address;
  readonly adminUrl: string;
  readonly sshConnection: string;
  readonly httpConnection: string;
  readonly auditDir: string;
  readonly auditPublicKey: string;
  /** PID of the gateway's primary process (its workers are its children). */
  readonly gatewayPid: number;
  /** Fresh OIDC access tokens (they last an hour; the load asks again every few minutes). */
  agentToken(): Promise<string>;
  approverToken(): Promise<string>;
  /** SIGTERM to the gateway and wait for its exit code. */
  stopGateway(): Promise<number | null>;
  /** Gateway log lines at warn and above (JSON), for the report. */
  readonly gatewayLog: string[];
  /** The latest memory probe of each gateway process, by pid (memory-probe.cjs). */
  readonly memory: ReadonlyMap<number, MemoryProbe>;
  close(): Promise<void>;
}

export async function startSoakStack(stateDir: string, patients: number): Promise<SoakStack> {
  // The example config, run with a worker per core and the approvals store those workers share.
  const template = JSON.parse(await readFile(TEMPLATE, 'utf8'));
  template.workers = 'auto';
  template.approvals.store = { kind: 'postgres', url: 'env:WARDEN_SOAK_APPROVALS_URL' };
  const templateFile = join(stateDir, 'soak-template.json');
  await writeFile(templateFile, JSON.stringify(template));

  const parts = await startSandboxParts({ stateDir, patients, configFile: templateFile });
  try {
    if (!parts.upstreams.ssh)
      throw new Error('the soak needs the sandbox SSH host: OpenSSH sshd, run as root');
    const approvalsUrl = await createApprovalsDatabase(parts);
    await createScratchTables(parts);
    const configFile = join(stateDir, 'warden.json');
    await writeFile(configFile, JSON.stringify(parts.config));
    const gateway = await spawnGateway(configFile, { ...parts.env, WARDEN_SOAK_APPROVALS_URL: approvalsUrl });
    parts.closeFirst(async () => void (await gateway.stop()));
    const connectionOf = (kind: string) => parts.config.connections.find((c) => c.kind === kind)!.name;
    return {
      postgres: gateway.ready.postgres,
      ssh: gateway.ready.ssh,
      http: gateway.ready.http,
      adminUrl: gateway.ready.admin,
      sshConnection: connectionOf('ssh'),
      httpConnection: connectionOf('http'),
      auditDir: parts.config.audit.dir,
      auditPublicKey: join(parts.stateDir, 'audit-public-key.pem'),
      gatewayPid: gateway.child.pid!,
      agentToken: () => parts.issuer.agentToken(SANDBOX_AGENT.clientId),
      approverToken: () => parts.issuer.userToken(SANDBOX_APPROVER.id),
      stopGateway: gateway.stop,
      gatewayLog: gateway.log,
      memory: gateway.memory,
      close: parts.close,
    };
  } catch (err) {
    await parts.close();
    throw err;
  }
}

async function createApprovalsDatabase(parts: SandboxParts): Promise<string> {
  const admin = new Client({ connectionString: parts.database.postgres.url('postgres') });
  await admin.connect();
  try {
    await admin.query('CREATE DATABASE soak_approvals');
  } finally {
    await admin.end();
  }
  return parts.database.postgres.url('soak_approvals');
}

/** pgbench's four tables under soak_ names, created by the scratch connection's own role. */
async function createScratchTables(parts: SandboxParts): Promise<void> {
  const role = parts.database.seed.roles.scratch;
  const { host, port } = parts.database.postgres;
  const c = new Client({ host, port, database: 'scratch', user: role.user, password: role.password });
  await c.connect();
  try {
    await c.query(`
      CREATE TABLE soak_branches (bid int PRIMARY KEY, bbalance int NOT NULL DEFAULT 0);
      CREATE TABLE soak_tellers (tid int PRIMARY KEY, bid int NOT NULL, tbalance int NOT NULL DEFAULT 0);
      CREATE TABLE soak_accounts (aid int PRIMARY KEY, bid int NOT NULL, abalance int NOT NULL DEFAULT 0,
        filler char(84) NOT NULL DEFAULT '');
      CREATE TABLE soak_history (tid int, bid int, aid int, delta int, mtime timestamptz, filler char(22));
      INSERT INTO soak_branches (bid) SELECT g FROM generate_series(1, ${SCRATCH_BRANCHES}) g;
      INSERT INTO soak_tellers (tid, bid)
        SELECT g, (g - 1) / ${SCRATCH_TELLERS_PER_BRANCH} + 1
        FROM generate_series(1, ${SCRATCH_BRANCHES * SCRATCH_TELLERS_PER_BRANCH}) g;
      INSERT INTO soak_accounts (aid, bid)
        SELECT g, (g - 1) / ${SCRATCH_ACCOUNTS_PER_BRANCH} + 1
        FROM generate_series(1, ${SCRATCH_BRANCHES * SCRATCH_ACCOUNTS_PER_BRANCH}) g;
      ANALYZE;
    `);
  } finally {
    await c.end();
  }
}

export interface MemoryProbe {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

interface Ready {
  readonly admin: string;
  readonly postgres: Address;
  readonly ssh: Address;
  readonly http: Address;
}

interface GatewayChild {
  readonly child: ChildProcess;
  readonly ready: Ready;
  readonly log: string[];
  readonly memory: Map<number, MemoryProbe>;
  stop(): Promise<number | null>;
}

/** `warden gateway --config FILE` with the sandbox's secrets in its environment, until ready. */
async function spawnGateway(configFile: string, env: Record<string, string>): Promise<GatewayChild> {
  const probe = `--require ${join(__dirname, 'memory-probe.cjs')}`;
  const child = spawn(process.execPath, [WARDEN_BIN, 'gateway', '--config', configFile], {
    env: {
      ...process.env,
      WARDEN_LOG_LEVEL: process.env.WARDEN_LOG_LEVEL ?? 'warn',
      ...env,
      // Inherited by the workers the gateway forks.
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${probe}`.trim(),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log: string[] = [];
  const memory = new Map<number, MemoryProbe>();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`warden gateway exited ${code}: ${log.slice(-5).join('\n')}`)),
    );
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.startsWith('{"wardenSoakProbe"')) {
        const m = JSON.parse(line) as MemoryProbe & { pid: number };
        memory.set(m.pid, m);
      } else if (line.includes('"gateway ready"')) resolve(JSON.parse(line) as Ready);
      else if (log.length < 1000) log.push(line);
    });
  });
  let stopping: Promise<number | null> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(forced);
      return code;
    })();
    return stopping;
  };
  return { child, ready, log, memory, stop };
}
