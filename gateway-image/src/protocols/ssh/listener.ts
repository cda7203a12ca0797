/**
 * The SSH listener: an ssh2 Server with the gateway's host key. Clients connect with stock
 * OpenSSH as `ssh <connection>@<gateway>`: the SSH user name is the Warden connection name, and
 * the password (or keyboard-interactive answer) is an OIDC JWT or a Warden session token.
 */
import { randomUUID } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { Server } from 'ssh2';
import { trackSockets } from '../tracked-sockets';
import type { SshSessionHooks } from './hooks';
import { SshSession } from './session';

export interface SshListenerOptions {
  readonly host: string;
  /** 0 picks a free port (see `address`). */
  readonly port: number;
  /** The gateway's host private key (OpenSSH or PEM), resolved from `listeners.ssh.hostKey`. */
  readonly hostKey: string;
  readonly hooks: SshSessionHooks;
  /** Failed authentication attempts before the connection is dropped. @default 6 */
  readonly maxAuthAttempts?: number;
  /** Login must finish within this time. @default 30000 */
  readonly authTimeoutMs?: number;
  /** @default 10000 */
  readonly upstreamConnectTimeoutMs?: number;
  /** In a shell, a partial output line (a prompt) is masked and released after this quiet time. @default 30 */
  readonly idleFlushMs?: number;
}

export interface SshListener {
  readonly address: AddressInfo;
  readonly sessions: ReadonlySet<SshSession>;
  /** Stops accepting, ends every session, and resolves when the server is closed. */
  close(): Promise<void>;
}

export async function startSshListener(options: SshListenerOptions): Promise<SshListener> {
  const maxAuthAttempts = options.maxAuthAttempts ?? 6;
  const authTimeoutMs = options.authTimeoutMs ?? 30_000;
  const upstreamConnectTimeoutMs = options.upstreamConnectTimeoutMs ?? 10_000;
  const idleFlushMs = options.idleFlushMs ?? 30;
  for (const [name, v] of Object.entries({
    maxAuthAttempts,
    authTimeoutMs,
    upstreamConnectTimeoutMs,
    idleFlushMs,
  })) {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a non-negative number`);
  }
  const sessions = new Set<SshSession>();

  const server = new Server({ hostKeys: [options.hostKey], ident: 'Warden' }, (client, info) => {
    // Small request/reply packets (channel open, exec, exit status): Nagle would add a delayed ACK
    // (~40 ms) to each. ssh2 implements setNoDelay on server connections; @types/ssh2 omits it.
    (client as unknown as { setNoDelay?(on: boolean): void }).setNoDelay?.(true);
    const session = new SshSession({
      id: randomUUID(),
      client,
      hooks: options.hooks.forClient?.(info.ip) ?? options.hooks,
      maxAuthAttempts,
      upstreamConnectTimeoutMs,
      idleFlushMs,
      onClosed: (s) => sessions.delete(s),
    });
    sessions.add(session);
    const timer = setTimeout(() => {
      if (session.state === 'authenticating') void session.close('auth-timeout');
    }, authTimeoutMs);
    timer.unref();
  });

  // The gateway accepts the sockets itself and hands them to ssh2, so it can end every one of them
  // at shutdown, including those that connected and never finished (or began) the SSH handshake.
  const tcp = createServer((socket) => server.injectSocket(socket));
  const sockets = trackSockets(tcp);
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(options.port, options.host, () => {
      tcp.off('error', reject);
      resolve();
    });
  });
  tcp.on('error', (err: Error) =>
    options.hooks.log?.({ level: 'error', message: 'ssh listener error', err }),
  );

  return {
    address: tcp.address() as AddressInfo,
    sessions,
    async close() {
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      await Promise.all([...sessions].map((s) => s.close('shutdown')));
      sockets.destroyAll();
      await closed;
    },
  };
}
