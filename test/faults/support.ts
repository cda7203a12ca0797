/**
 * What the fault tests share: `warden gateway` spawned as operators run it (primary and workers),
 * its worker processes found through /proc, its audit directory read back chain by chain and
 * verified with `warden audit verify`, and real clients pointed at it.
 */
import { type ChildProcessWithoutNullStreams, execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Client, type ClientConfig } from 'pg';
import { listChains } from '../../gateway-image/src/audit/chains';
import {
  type GatewayFiles,
  spawnGateway,
  WARDEN_BIN,
  writeGatewayConfig,
  writeGatewayFiles,
} from '../support/gateway-stack';

export interface Ready {
  readonly admin: string;
  readonly postgres?: { host: string; port: number };
  readonly ssh?: { host: string; port: number };
  readonly http?: { host: string; port: number };
  readonly kubernetes?: { host: string; port: number };
  readonly role: string;
}

export interface AuditRecord {
  readonly chain: string;
  readonly seq: number;
  readonly time: string;
  readonly type: string;
  readonly session: string | null;
  readonly connection: string | null;
  readonly principal: { readonly subject: string } | null;
  // biome-ignore lint/suspicious/noExplicitAny: bodies differ by type; tests read what they assert
  readonly body: Record<string, any>;
}

export interface FaultGateway {
  readonly child: ChildProcessWithoutNullStreams;
  readonly ready: Ready;
  readonly files: GatewayFiles;
  readonly auditDir: string;
  /** Log lines the gateway wrote on stderr so far (JSON). */
  readonly log: string[];
  /** PIDs of the worker processes, oldest first. */
  workers(): Promise<number[]>;
  /** Every event of every chain, in time order. */
  audit(): Promise<AuditRecord[]>;
  /** `warden audit verify --json` over the audit directory (a live log: open tails allowed). */
  verify(): Promise<{ ok: boolean; chains: { id: string; result: { ok: boolean; events: number } }[] }>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/** Writes keys and `config(files)` into `dir` and runs `warden gateway` until it is ready. */
export async function startFaultGateway(
  dir: string,
  config: (files: GatewayFiles) => Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<FaultGateway> {
  const files = await writeGatewayFiles(dir, { commonName: 'warden-faults', altNames: ['IP:127.0.0.1'] });
  const cfg = config(files);
  const auditDir = (cfg.audit as { dir: string }).dir;
  const spawned = spawnGateway<Ready>(
    await writeGatewayConfig(dir, 'warden.json', cfg),
    env,
    'fault gateway',
  );
  const log: string[] = [];
  createInterface({ input: spawned.child.stderr }).on('line', (l) => log.push(l));
  const ready = await spawned.ready;
  const { child } = spawned;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    ready,
    files,
    auditDir,
    log,
    workers: () => childPids(child.pid!),
    audit: () => readAudit(auditDir),
    async verify() {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          WARDEN_BIN,
          'audit',
          'verify',
          auditDir,
          '--public-key',
          files.auditPublicKey,
          '--json',
          '--allow-open-tail',
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '{}' }));
      return JSON.parse(stdout);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 25_000);
      const code = await exited;
      clearTimeout(forced);
      return code;
    },
  };
}

/** Direct children of a process (a primary's workers), oldest first. */
export async function childPids(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text
    .trim()
    .split(/\s+/)
    .filter((s) => s !== '')
    .map(Number);
}

/** Resident memory of a process in MiB. */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Every event of every chain of an audit directory, in time order (then chain, then seq). */
export async function readAudit(dir: string): Promise<AuditRecord[]> {
  const all: AuditRecord[] = [];
  for (const chain of await listChains(dir)) {
    const names = (await readdir(chain.dir)).filter((f) => /^segment-\d+\.jsonl$/.test(f)).sort();
    for (const name of names) {
      for (const line of (await readFile(join(chain.dir, name), 'utf8')).split('\n')) {
        if (line.trim() === '') continue;
        try {
          all.push({ chain: chain.id, ...(JSON.parse(line) as Omit<AuditRecord, 'chain'>) });
        } catch {
          // A torn last line of a live log: not an event yet.
        }
      }
    }
  }
  return all.sort((a, b) => a.time.localeCompare(b.time) || a.chain.localeCompare(b.chain) || a.seq - b.seq);
}

/** A node-postgres client through the gateway's Postgres listener (TLS, certificate not checked). */
export async function gatewayClient(
  ready: Ready,
  database: string,
  password: string,
  extra: Partial<ClientConfig> = {},
): Promise<Client> {
  const client = new Client({
    host: ready.postgres!.host,
    port: ready.postgres!.port,
    database,
    user: 'faults',
    password,
    ssl: { rejectUnauthorized: false },
    ...extra,
  });
  await client.connect();
  return client;
}

/** Polls `fn` until it returns something other than undefined or false. */
export async function until<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export { WARDEN_BIN };
