/**
 * The gateway → host leg: an ssh2 Client that logs in with a credential only the gateway holds
 * and accepts exactly one host key, the one pinned in the connection config. There is no
 * known_hosts and no trust on first use: an unknown or changed key ends the attempt.
 */
import { timingSafeEqual } from 'node:crypto';
import { Client, type ClientChannel, type ConnectConfig, type PseudoTtyOptions } from 'ssh2';
import type { SshConnectionConfig } from '../../config/connections';
import { WardenError } from '../../errors';

export type UpstreamFailure = 'host-key' | 'auth' | 'unreachable';

export class SshUpstreamError extends WardenError {
  constructor(
    readonly failure: UpstreamFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('ERR_SSH_UPSTREAM', message, options);
  }
}

/** What the client sees for each failure: no host names, user names or library text. */
export const UPSTREAM_FAILURE_TEXT: Record<UpstreamFailure, string> = {
  'host-key': 'the upstream host key does not match the key pinned in the configuration; refused',
  auth: 'the gateway could not log in to the upstream host',
  unreachable: 'the upstream host could not be reached',
};

interface PinnedKey {
  readonly type: string;
  readonly blob: Buffer;
}

/** Parses "ssh-ed25519 AAAA… comment" into its algorithm and key blob. */
export function parsePinnedHostKey(line: string): PinnedKey {
  const [type, b64] = line.trim().split(/\s+/);
  const blob = Buffer.from(b64 ?? '', 'base64');
  // The blob begins with its own type name (RFC 4253 §6.6); a mismatch means a mangled pin.
  const inner = blob.length > 4 ? blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1') : '';
  if (!type || inner === '' || !(inner === type || (inner === 'ssh-rsa' && type.startsWith('rsa-sha2-')))) {
    throw new WardenError(
      'ERR_CONFIG_INVALID',
      'the pinned upstream host key is not a valid OpenSSH key line',
    );
  }
  return { type: inner, blob };
}

/** Host key algorithms to offer so the server presents the pinned key rather than another one. */
function hostKeyAlgorithms(type: string): ConnectConfig['algorithms'] {
  if (type === 'ssh-rsa') return { serverHostKey: ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] };
  return { serverHostKey: [type as 'ssh-ed25519'] };
}

export interface UpstreamOptions {
  readonly connection: SshConnectionConfig;
  readonly resolveSecret: (ref: string) => Promise<string>;
  /** @default 10000 */
  readonly connectTimeoutMs?: number;
}

export class SshUpstream {
  private constructor(private readonly client: Client) {}

  static async connect(options: UpstreamOptions): Promise<SshUpstream> {
    const { upstream } = options.connection;
    const pinned = parsePinnedHostKey(upstream.hostKey);
    let hostKeyRefused = false;
    const config: ConnectConfig = {
      host: upstream.host,
      port: upstream.port,
      username: upstream.user,
      readyTimeout: options.connectTimeoutMs ?? 10_000,
      algorithms: hostKeyAlgorithms(pinned.type),
      hostVerifier: (key: Buffer) => {
        const ok = key.length === pinned.blob.length && timingSafeEqual(key, pinned.blob);
        if (!ok) hostKeyRefused = true;
        return ok;
      },
      // Keep-alives notice a dead upstream on long, quiet shells.
      keepaliveInterval: 30_000,
    };
    try {
      if (upstream.privateKey) config.privateKey = await options.resolveSecret(upstream.privateKey);
      else if (upstream.password) config.password = await options.resolveSecret(upstream.password);
      else throw new Error('connection has neither privateKey nor password');
    } catch (err) {
      throw new SshUpstreamError('auth', 'upstream credential unavailable', { cause: err });
    }
    const client = new Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('error', (err: Error & { level?: string }) => {
        if (hostKeyRefused)
          reject(new SshUpstreamError('host-key', 'upstream host key mismatch', { cause: err }));
        else if (err.level === 'client-authentication') {
          reject(new SshUpstreamError('auth', 'upstream refused our credential', { cause: err }));
        } else reject(new SshUpstreamError('unreachable', 'upstream connect failed', { cause: err }));
      });
      client.connect(config);
    });
    // Every exec is a few small request/reply packets: Nagle would hold each behind a delayed ACK (~40 ms).
    client.setNoDelay(true);
    // Later errors surface on the channels that use the connection.
    client.on('error', () => {});
    return new SshUpstream(client);
  }

  exec(command: string, pty?: PseudoTtyOptions): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      const cb = (err: Error | undefined, ch: ClientChannel) => (err ? reject(err) : resolve(ch));
      if (pty) this.client.exec(command, { pty }, cb);
      else this.client.exec(command, cb);
    });
  }

  /**
   * Runs a command of the gateway's own and resolves its standard output, at most `maxBytes` of it
   * (the channel is closed then); rejects on a non-zero exit or after `timeoutMs`.
   */
  async capture(command: string, limits: { maxBytes: number; timeoutMs: number }): Promise<string> {
    const ch = await this.exec(command);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      let done = false;
      const finish = (err: Error | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        ch.close();
        if (err) reject(err);
        else resolve(Buffer.concat(chunks).toString('utf8'));
      };
      const timer = setTimeout(() => finish(new Error('upstream command timed out')), limits.timeoutMs);
      ch.on('data', (d: Buffer) => {
        chunks.push(d.subarray(0, Math.max(0, limits.maxBytes - bytes)));
        bytes += d.length;
        if (bytes >= limits.maxBytes) finish(undefined);
      });
      ch.stderr.resume();
      ch.once('close', (code?: number | null) =>
        finish(code === 0 ? undefined : new Error(`upstream command exited with ${code ?? 'a signal'}`)),
      );
    });
  }

  shell(pty: PseudoTtyOptions | false): Promise<ClientChannel> {
    return new Promise((resolve, reject) =>
      this.client.shell(pty, (err, ch) => (err ? reject(err) : resolve(ch))),
    );
  }

  subsystem(name: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) =>
      this.client.subsys(name, (err, ch) => (err ? reject(err) : resolve(ch))),
    );
  }

  close(): void {
    this.client.end();
  }
}
