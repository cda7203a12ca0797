/**
 * Where login failures are counted (identity/login-throttle.ts). Every protocol verifies a
 * credential through `authenticate(address, verify)`: a blocked source is refused at once with
 * LoginThrottledError, and a refused credential counts against its source.
 *
 * With several processes one place must count, or each worker would allow the limit again: the
 * single process, or the primary, decides. A worker reports each failure to the primary over the
 * cluster IPC channel and applies the blocks the primary sends to every worker; until a block
 * arrives (an IPC hop) the worker keeps checking credentials. The process that decides records
 * each block as a `login.throttled` audit event and a warning in the log.
 */
import type { ChildProcess } from 'node:child_process';
import type { AuditSink } from '../audit/event';
import type { WardenConfig } from '../config/schema';
import { AuthenticationError, LoginThrottledError } from '../errors';
import { LoginThrottle, loginSource, type ThrottleBlock } from '../identity/login-throttle';
import type { Principal } from '../identity/principal';
import type { Logger } from '../logging/logger';

export interface LoginGuard {
  /** Runs `verify` for a client at `address` unless its source is blocked; counts a refusal. */
  authenticate(address: string | undefined, verify: () => Promise<Principal>): Promise<Principal>;
  /** Primary: counts a worker's failures and sends it every block. @default absent (nothing to count) */
  serveWorker?(worker: ChildProcess): void;
}

type ThrottleConfig = WardenConfig['identity']['loginThrottle'];

/** What workers and the primary say to each other about failed logins. */
type ThrottleMessage =
  | { readonly warden: 'login-throttle'; readonly failed: string }
  | { readonly warden: 'login-throttle'; readonly block: ThrottleBlock };

const OPEN: LoginGuard = { authenticate: (_address, verify) => verify() };

/** The guard of the process that counts: the single process, or the primary (`serveWorker` links workers). */
export class DecidingLoginGuard implements LoginGuard {
  private readonly throttle: LoginThrottle;
  private readonly workers = new Set<ChildProcess>();

  constructor(
    private readonly config: ThrottleConfig,
    private readonly audit: AuditSink,
    private readonly logger: Logger,
  ) {
    this.throttle = new LoginThrottle({
      maxFailures: config.maxFailures,
      windowMs: config.windowSec * 1000,
      blockMs: config.blockSec * 1000,
    });
  }

  authenticate(address: string | undefined, verify: () => Promise<Principal>): Promise<Principal> {
    return guarded(this.throttle, loginSource(address), verify, (source) => this.failed(source));
  }

  /** Primary: counts this worker's failures and tells it of every block. */
  serveWorker(worker: ChildProcess): void {
    this.workers.add(worker);
    worker.once('exit', () => this.workers.delete(worker));
    worker.on('message', (m: ThrottleMessage) => {
      if (m?.warden === 'login-throttle' && 'failed' in m && typeof m.failed === 'string')
        this.failed(m.failed);
    });
  }

  private failed(source: string): void {
    const block = this.throttle.failed(source);
    if (!block) return;
    const message: ThrottleMessage = { warden: 'login-throttle', block };
    for (const w of this.workers) if (w.connected) w.send(message);
    const body = {
      source,
      maxFailures: this.config.maxFailures,
      windowSec: this.config.windowSec,
      blockedUntil: new Date(block.until).toISOString(),
    };
    this.logger.warn(body, 'too many failed logins from one source; refusing its logins for a while');
    // A block that cannot be recorded still applies: refusing is the safe side.
    this.audit.append({ type: 'login.throttled', body }).catch(() => undefined);
  }
}

/** A worker's guard: the primary counts, the worker applies the primary's blocks. */
export function workerLoginGuard(config: WardenConfig): LoginGuard {
  if (!config.identity.loginThrottle.enabled) return OPEN;
  const throttle = new LoginThrottle({ maxFailures: 1, windowMs: 1, blockMs: 1 });
  process.on('message', (m: ThrottleMessage) => {
    if (m?.warden === 'login-throttle' && 'block' in m) throttle.block(m.block.source, m.block.until);
  });
  const report = (source: string) => {
    // Lost only if the primary is gone, and then this worker is stopping too.
    if (process.connected)
      process.send?.({ warden: 'login-throttle', failed: source } satisfies ThrottleMessage);
  };
  return {
    authenticate: (address, verify) => guarded(throttle, loginSource(address), verify, report),
  };
}

/** Binds a protocol's hooks to the guard: each client connection verifies through it. */
export function withLoginGuard<H extends { authenticate(token: string): Promise<Principal> }>(
  hooks: H,
  guard: LoginGuard,
): H & { forClient(address: string | undefined): H } {
  return {
    ...hooks,
    forClient: (address) => ({
      ...hooks,
      authenticate: (token) => guard.authenticate(address, () => hooks.authenticate(token)),
    }),
  };
}

/** The guard the config asks for in a process that decides. */
export function loginGuard(config: WardenConfig, audit: AuditSink, logger: Logger): LoginGuard {
  const t = config.identity.loginThrottle;
  return t.enabled ? new DecidingLoginGuard(t, audit, logger) : OPEN;
}

async function guarded(
  throttle: LoginThrottle,
  source: string,
  verify: () => Promise<Principal>,
  failed: (source: string) => void,
): Promise<Principal> {
  const wait = throttle.blockedFor(source);
  if (wait > 0) throw new LoginThrottledError(Math.ceil(wait / 1000));
  try {
    return await verify();
  } catch (err) {
    // An unreachable issuer is our outage, not the client's failure.
    if (err instanceof AuthenticationError && err.code !== 'ERR_ISSUER_UNAVAILABLE') failed(source);
    throw err;
  }
}
