import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { workerChainId } from '../audit/chains';
import type { WardenConfig } from '../config/schema';
import { WardenError } from '../errors';
import { FileRevocationStore } from '../identity/revocation';
import { primaryClient, serveWorker } from './ipc';
import type { ListenerAddress } from './listeners';
import { LiveSessionRegistry } from './live-sessions';
import { workerLoginGuard } from './login-guard';
import { needsApprovals } from './services';
import { reportSessionsToPrimary, SessionLedger } from './session-ledger';
import { type StartOptions, startGateway } from './start';

/**
 * One gateway process per core (config `workers`). The primary owns what must be single —
 * session-token revocations, the admin API and its list of live sessions — and forks workers that
 * serve the data listeners on shared sockets, reaching the primary's state over the cluster IPC
 * channel (workers report their sessions; the primary forwards terminates to them). Each process
 * writes its own audit chain (audit/chains.ts), so the data path never waits on another process.
 * With one worker there is no primary: the process serves everything itself.
 */
export interface GatewayProcess {
  readonly role: 'single' | 'primary' | 'worker';
  readonly adminUrl?: string;
  readonly postgres?: ListenerAddress;
  readonly ssh?: ListenerAddress;
  readonly http?: ListenerAddress;
  readonly kubernetes?: ListenerAddress;
  /** Resolves when this process should stop on its own (a worker whose primary is gone). */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

/** The data listeners a worker serves (the same shared sockets in every worker). */
interface Listening {
  readonly postgres?: ListenerAddress;
  readonly ssh?: ListenerAddress;
  readonly http?: ListenerAddress;
  readonly kubernetes?: ListenerAddress;
}

/** How long the primary waits for a worker to finish its sessions before killing it. */
const WORKER_STOP_TIMEOUT_MS = 10_000;
/** Tells a forked worker which audit chain is its own. */
const AUDIT_CHAIN_ENV = 'WARDEN_AUDIT_CHAIN';
const RESTART_DELAY_MS = 1_000;

export function workerCount(config: WardenConfig): number {
  return config.workers === 'auto' ? availableParallelism() : config.workers;
}

export async function runGateway(config: WardenConfig, opts: StartOptions = {}): Promise<GatewayProcess> {
  if (workerCount(config) > 1 && needsApprovals(config) && config.approvals.store?.kind !== 'postgres') {
    // Holds taken in one process must be released by decisions taken in another.
    throw new WardenError(
      'ERR_CONFIG_INVALID',
      'approvals.store: the file store serves one gateway process; with workers > 1 set approvals.store to ' +
        '{"kind":"postgres","url":…} (shared by every process and replica) or set workers to 1',
    );
  }
  if (workerCount(config) <= 1) {
    const g = await startGateway(config, opts);
    return {
      role: 'single',
      adminUrl: g.adminUrl,
      postgres: g.postgres,
      ssh: g.ssh,
      http: g.http,
      kubernetes: g.kubernetes,
      done: new Promise(() => {}),
      close: g.close,
    };
  }
  return cluster.isPrimary ? startPrimary(config, opts) : startWorker(config, opts);
}

async function startWorker(config: WardenConfig, opts: StartOptions): Promise<GatewayProcess> {
  // The primary decides when workers stop (it disconnects them); a terminal's Ctrl-C reaches the
  // whole process group, and a worker that died first would drop its sessions mid-statement.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {});
  const liveSessions = new LiveSessionRegistry();
  const link = primaryClient(liveSessions);
  const g = await startGateway(config, {
    ...opts,
    // Each worker writes its own chain: no audit event crosses a process boundary on the data path.
    auditChain: process.env[AUDIT_CHAIN_ENV] ?? workerChainId(cluster.worker?.id ?? process.pid),
    revocations: link.revocations,
    liveSessions,
    loginGuard: workerLoginGuard(config),
    wrapAudit: reportSessionsToPrimary,
    serve: { admin: false },
  });
  const listening: Listening = { postgres: g.postgres, ssh: g.ssh, http: g.http, kubernetes: g.kubernetes };
  process.send?.({ warden: 'listening', ...listening });
  const done = new Promise<void>((resolve) => process.once('disconnect', () => resolve()));
  return { role: 'worker', ...listening, done, close: g.close };
}

async function startPrimary(config: WardenConfig, opts: StartOptions): Promise<GatewayProcess> {
  const st = config.identity.sessionTokens;
  const revocations = st
    ? await FileRevocationStore.open(st.revocationFile ?? join(config.audit.dir, 'revocations.json'))
    : undefined;
  const g = await startGateway(config, { ...opts, revocations, serve: { data: false } });
  const count = workerCount(config);
  const ledger = new SessionLedger(g.services.audit, g.services.logger);
  let closing = false;
  let listening: Listening | undefined;

  // Slot n writes audit chain worker-n; a worker restarted in its slot continues that chain.
  const fork = (slot: number): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork({ [AUDIT_CHAIN_ENV]: workerChainId(slot) });
      serveWorker(worker.process, { revocations, sessions: g.services.liveSessions });
      g.services.loginGuard.serveWorker?.(worker.process);
      ledger.serveWorker(worker.process);
      worker.on('message', (m: { warden?: string } & Listening) => {
        if (m?.warden !== 'listening') return;
        listening ??= { postgres: m.postgres, ssh: m.ssh, http: m.http, kubernetes: m.kubernetes };
        resolve(worker);
      });
      worker.once('exit', (code, signal) => {
        reject(new Error(`gateway worker exited during start (${signal ?? code})`));
        // A worker asked to stop ended its sessions itself; any other exit lost them.
        const lost = !closing && !worker.exitedAfterDisconnect;
        if (worker.process.pid !== undefined)
          void ledger.workerExited(worker.process.pid, { slot: workerChainId(slot), lost, code, signal });
        if (closing) return;
        g.services.logger.error(
          { pid: worker.process.pid, code, signal },
          'gateway worker exited; starting another',
        );
        setTimeout(() => {
          if (!closing)
            fork(slot).catch((err) => g.services.logger.error({ err: String(err) }, 'worker restart failed'));
        }, RESTART_DELAY_MS);
      });
    });

  try {
    await Promise.all(Array.from({ length: count }, (_, i) => fork(i + 1)));
  } catch (err) {
    closing = true;
    await stopWorkers();
    await g.close();
    throw err;
  }
  g.services.logger.info({ workers: count }, 'gateway workers ready');

  async function stopWorkers(): Promise<void> {
    await Promise.all(
      Object.values(cluster.workers ?? {}).map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (!worker || worker.isDead()) return resolve();
            const kill = setTimeout(() => worker.kill('SIGKILL'), WORKER_STOP_TIMEOUT_MS);
            worker.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            worker.disconnect();
          }),
      ),
    );
  }

  return {
    role: 'primary',
    adminUrl: g.adminUrl,
    ...listening,
    done: new Promise(() => {}),
    async close() {
      closing = true;
      await stopWorkers();
      await g.close();
    },
  };
}
