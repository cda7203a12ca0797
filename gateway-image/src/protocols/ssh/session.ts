/**
 * One client SSH connection: authentication (password or keyboard-interactive carrying an OIDC
 * JWT or Warden session token; the SSH user name is the connection name), access, then session
 * channels. Port forwarding (direct-tcpip, tcpip-forward, streamlocal) is refused.
 *
 * States: authenticating → ready (channels) → closed. The upstream SSH connection is opened on
 * the first allowed channel request and shared by the session's channels.
 */
import type { AuthContext, Connection, ServerChannel } from 'ssh2';
import type { SshConnectionConfig } from '../../config/connections';
import { LoginThrottledError } from '../../errors';
import type { Principal } from '../../identity/principal';
import {
  ACCESS_ENDED_TEXT,
  type LiveSession,
  TERMINATED,
  terminationAudit,
  terminationOf,
  terminationText,
} from '../live-session';
import { handleSession, refuse } from './channel';
import type { SshSessionHooks } from './hooks';
import { SshUpstream } from './upstream';

export interface SshSessionOptions {
  readonly id: string;
  readonly client: Connection;
  readonly hooks: SshSessionHooks;
  readonly maxAuthAttempts: number;
  readonly upstreamConnectTimeoutMs: number;
  readonly idleFlushMs: number;
  readonly onClosed: (s: SshSession) => void;
}

const METHODS: AuthContext['method'][] = ['password', 'keyboard-interactive'];
/** setTimeout fires at once for longer delays (Node clamps them to 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long a session ended from outside waits for clients to close channels after its message. */
const FAREWELL_MS = 1_000;
/** What the client reads on stderr when the gateway ends its session from outside. */
const ENDED_TEXT: Readonly<Record<string, string>> = ACCESS_ENDED_TEXT;

export class SshSession {
  state: 'authenticating' | 'ready' | 'closed' = 'authenticating';
  private principal: Principal | undefined;
  private connection: SshConnectionConfig | undefined;
  private upstream: Promise<SshUpstream> | undefined;
  private expiry: NodeJS.Timeout | undefined;
  /** Aborted on close: drops this session's listener on the (shared, per-grant) revocation signal. */
  private readonly ended = new AbortController();
  private attempts = 0;
  private channels = 0;
  /** Accepted channels not yet closed: each hears why when the gateway ends the session. */
  private readonly open = new Set<ServerChannel>();
  /** The gateway's live-session listing of this session, once logged in. */
  private live: LiveSession | undefined;

  constructor(private readonly options: SshSessionOptions) {
    const { client } = options;
    client.on('authentication', (ctx) => void this.authenticate(ctx));
    client.on('ready', () => void this.ready());
    client.on('session', (accept) => {
      if (this.state !== 'ready') return;
      this.openChannel(accept());
    });
    client.on('tcpip', (_accept, reject) => this.refuse('direct-tcpip', reject));
    client.on('openssh.streamlocal', (_accept: unknown, reject: () => void) =>
      this.refuse('streamlocal', reject),
    );
    client.on('request', (_accept, reject, name) => this.refuse(name, reject));
    client.on('error', (err) => this.log('ssh client connection error', err));
    client.on('close', () => void this.close('client-closed'));
  }

  private log(message: string, err?: unknown): void {
    this.options.hooks.log?.({ level: 'warn', message, session: this.options.id, err });
  }

  private async authenticate(ctx: AuthContext): Promise<void> {
    if (this.state !== 'authenticating') return ctx.reject();
    if (ctx.method !== 'password' && ctx.method !== 'keyboard-interactive') return ctx.reject(METHODS);
    if (++this.attempts > this.options.maxAuthAttempts) {
      ctx.reject();
      return void this.options.client.end();
    }
    const token =
      ctx.method === 'password'
        ? ctx.password
        : await new Promise<string>((resolve) =>
            // OpenSSH tries keyboard-interactive first; a prompt saying "Password" is what people
            // and sshpass answer.
            ctx.prompt([{ prompt: 'Password (Warden token): ', echo: false }], '', '', (answers) =>
              resolve(answers[0] ?? ''),
            ),
          );
    const name = ctx.username;
    const { hooks } = this.options;
    let principal: Principal;
    try {
      principal = await hooks.authenticate(token.trim());
    } catch (err) {
      this.log('ssh token refused', err);
      const throttled = err instanceof LoginThrottledError;
      await this.auditRefused(undefined, name, throttled ? 'login-throttled' : 'invalid-token');
      return ctx.reject(METHODS);
    }
    const connection = hooks.resolveConnection(name);
    if (connection?.kind !== 'ssh') {
      await this.auditRefused(principal, name, 'unknown-connection');
      return ctx.reject(METHODS);
    }
    const access = await Promise.resolve(hooks.authorize(principal, name)).catch((err: unknown) => {
      this.log('ssh access check failed', err);
      return { allowed: false as const, reason: 'access check failed' };
    });
    if (!access.allowed) {
      await this.auditRefused(principal, name, 'no-grant', access.reason);
      return ctx.reject(METHODS);
    }
    // Audited before the client is told it is in; if that fails, it is not in.
    try {
      await hooks.audit({
        type: 'session.start',
        principal,
        connection: name,
        session: this.options.id,
        body: { protocol: 'ssh', method: ctx.method, via: principal.via },
      });
    } catch (err) {
      this.log('audit of session start failed', err);
      return ctx.reject(METHODS);
    }
    // Revoked while the start was being audited: the abort event has already fired.
    if (access.revoked?.aborted) {
      await this.auditRefused(principal, name, 'no-grant', 'grant revoked');
      return ctx.reject(METHODS);
    }
    this.principal = principal;
    this.connection = connection;
    const ends = Math.min(principal.expiresAt.getTime(), access.expiresAt?.getTime() ?? Infinity);
    this.expiry = setTimeout(
      () => void this.close('credential-expired'),
      Math.min(Math.max(0, ends - Date.now()), MAX_TIMER_MS),
    );
    this.expiry.unref();
    access.revoked?.addEventListener('abort', () => void this.close('grant-revoked'), {
      once: true,
      signal: this.ended.signal,
    });
    this.listLive(principal, name);
    ctx.accept();
  }

  /** Registers the session as live; an administrator's terminate ends it with who and why. */
  private listLive(principal: Principal, connection: string): void {
    const live = this.options.hooks.opened?.({ session: this.options.id, connection, principal });
    if (!live) return;
    this.live = live;
    const terminate = () => {
      const t = terminationOf(live.terminated);
      void this.close(TERMINATED, terminationAudit(t), terminationText(t));
    };
    live.terminated.addEventListener('abort', terminate, { once: true, signal: this.ended.signal });
  }

  private ready(): void {
    if (this.principal) this.state = 'ready';
  }

  private openChannel(session: Parameters<typeof handleSession>[1]): void {
    const { hooks, id } = this.options;
    const principal = this.principal!;
    const connection = this.connection!;
    handleSession(
      {
        hooks,
        principal,
        connection: connection.name,
        session: id,
        masker: hooks.masker(principal, connection.name),
        channel: this.channels++,
        idleFlushMs: this.options.idleFlushMs,
        upstream: () => {
          this.upstream ??= SshUpstream.connect({
            connection,
            resolveSecret: hooks.resolveSecret,
            connectTimeoutMs: this.options.upstreamConnectTimeoutMs,
          });
          // A failed connect is not cached: the next channel tries again (e.g. after key rotation).
          this.upstream.catch(() => {
            this.upstream = undefined;
          });
          return this.upstream;
        },
        refused: (kind) => this.refuse(kind),
        accepted: (channel) => {
          this.open.add(channel);
          channel.once('close', () => this.open.delete(channel));
        },
      },
      session,
    );
  }

  /** Tells every open channel why it ends, and gives clients a moment to close them (and print it). */
  private async farewell(message: string): Promise<void> {
    const channels = [...this.open];
    const closed = Promise.all(channels.map((c) => new Promise((resolve) => c.once('close', resolve))));
    for (const c of channels) refuse(c, message);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, FAREWELL_MS).unref())]);
  }

  private refuse(kind: string, reject?: () => void): void {
    reject?.();
    if (!this.principal) return;
    void this.options.hooks
      .audit({
        type: 'channel.refused',
        principal: this.principal,
        connection: this.connection?.name ?? '',
        session: this.options.id,
        body: { protocol: 'ssh', request: kind },
      })
      .catch((err: unknown) => this.log('audit of refused channel failed', err));
  }

  private async auditRefused(
    principal: Principal | undefined,
    connection: string,
    reason: string,
    detail?: string,
  ) {
    try {
      await this.options.hooks.audit({
        type: 'session.refused',
        principal,
        connection,
        session: this.options.id,
        body: { protocol: 'ssh', reason, ...(detail ? { detail } : {}) },
      });
    } catch (err) {
      this.log('audit of refused session failed', err);
    }
  }

  /**
   * Ends the session. Open channels first get `message` (by default the one for `reason`, if the
   * gateway ended the session from outside) on stderr; `detail` goes into the session.end body.
   */
  async close(reason: string, detail?: Record<string, string>, message = ENDED_TEXT[reason]): Promise<void> {
    if (this.state === 'closed') return;
    const wasReady = this.principal !== undefined;
    this.state = 'closed';
    if (this.expiry) clearTimeout(this.expiry);
    this.ended.abort();
    this.live?.closed();
    if (message && this.open.size > 0) await this.farewell(message);
    this.options.client.end();
    const upstream = this.upstream;
    this.upstream = undefined;
    upstream?.then((u) => u.close()).catch(() => {});
    this.options.onClosed(this);
    if (!wasReady) return;
    try {
      await this.options.hooks.audit({
        type: 'session.end',
        principal: this.principal,
        connection: this.connection?.name ?? '',
        session: this.options.id,
        body: { protocol: 'ssh', reason, ...detail, channels: this.channels },
      });
    } catch (err) {
      this.log('audit of session end failed', err);
    }
  }
}
