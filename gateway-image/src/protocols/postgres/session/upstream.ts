/**
 * The gateway → PostgreSQL leg: TCP, then SSLRequest and TLS (verify-full) unless disabled, then
 * StartupMessage and authentication with credentials only the gateway holds.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
import { createHash } from 'node:crypto';
import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { serialize } from 'pg-protocol';
import type { PostgresConnectionConfig } from '../../../config/connections';
import {
  BackendCode,
  type BackendFrame,
  BackendFramer,
  decodeAuthentication,
  decodeBackendKey,
  decodeErrorFields,
  decodeMd5Salt,
  decodeParameterStatus,
  decodeSaslMechanisms,
} from '../wire/backend-framer';
import { UpstreamError } from '../wire/errors';
import { StartupCode } from '../wire/messages';
import { scramContinue, scramFinish, scramStart } from './scram';

export type UpstreamTls =
  | { readonly mode: 'verify-full'; readonly ca?: string; readonly serverName?: string }
  | { readonly mode: 'disable' };

/** Where the upstream is and how to reach it; also what a CancelRequest needs. */
export interface UpstreamEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: UpstreamTls;
  /** @default 10000 */
  readonly connectTimeoutMs?: number;
}

export interface UpstreamLogin extends UpstreamEndpoint {
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** Extra startup parameters (application_name, client_encoding, …). */
  readonly parameters: Readonly<Record<string, string>>;
}

export interface BackendKey {
  readonly processId: number;
  readonly secretKey: Buffer;
}

export interface UpstreamConnection {
  readonly socket: Socket | TLSSocket;
  /** ParameterStatus values reported during startup, relayed to the client. */
  readonly parameters: ReadonlyMap<string, string>;
  /** The upstream's cancel key: private to the gateway, never sent to the client. */
  readonly backendKey: BackendKey | undefined;
  /** Bytes that arrived after ReadyForQuery, to be framed by whoever takes the socket next. */
  readonly remainder: Buffer;
}

const AUTH_OK = 0;
const AUTH_CLEARTEXT = 3;
const AUTH_MD5 = 5;
const AUTH_SASL = 10;
const AUTH_SASL_CONTINUE = 11;
const AUTH_SASL_FINAL = 12;

/** Where a configured connection's upstream is, with its CA resolved (on every call: rotation needs no restart). */
export async function endpointOf(
  config: PostgresConnectionConfig,
  resolveSecret: (ref: string) => Promise<string>,
  connectTimeoutMs: number,
): Promise<UpstreamEndpoint> {
  const { host, port, tls } = config.upstream;
  if (tls.mode === 'disable') return { host, port, tls: { mode: 'disable' }, connectTimeoutMs };
  const ca = tls.ca === undefined ? undefined : await resolveSecret(tls.ca);
  return {
    host,
    port,
    connectTimeoutMs,
    tls: {
      mode: 'verify-full',
      ...(ca === undefined ? {} : { ca }),
      ...(tls.serverName === undefined ? {} : { serverName: tls.serverName }),
    },
  };
}

/** Opens a TCP (and TLS) connection to the upstream; the socket is paused and has no listeners. */
export async function openChannel(endpoint: UpstreamEndpoint): Promise<Socket | TLSSocket> {
  const timeoutMs = endpoint.connectTimeoutMs ?? 10_000;
  const socket = tcpConnect({ host: endpoint.host, port: endpoint.port });
  socket.setNoDelay(true);
  socket.setTimeout(timeoutMs, () => socket.destroy(new UpstreamError('upstream connect timed out')));
  try {
    await once(socket, 'connect');
    if (endpoint.tls.mode === 'disable') return socket;
    socket.write(serialize.requestSsl());
    const answer = await readBytes(socket);
    // Anything after the one-byte answer would have been injected before TLS (CVE-2021-23222).
    if (answer.length !== 1 || answer[0] !== 0x53 /* 'S' */) {
      throw new UpstreamError('upstream does not accept TLS (or answered SSLRequest with extra bytes)');
    }
    const name = endpoint.tls.serverName ?? endpoint.host;
    const secure = tlsConnect({
      socket,
      host: name,
      // RFC 6066 §3: SNI carries host names only.
      ...(isIP(name) === 0 ? { servername: name } : {}),
      ...(endpoint.tls.ca === undefined ? {} : { ca: endpoint.tls.ca }),
      rejectUnauthorized: true,
    });
    await once(secure, 'secureConnect');
    return secure;
  } catch (err) {
    socket.destroy();
    throw err instanceof UpstreamError
      ? err
      : new UpstreamError('upstream connection failed', { cause: err });
  } finally {
    socket.setTimeout(0);
  }
}

/** Connects and logs in; resolves once the upstream says ReadyForQuery. */
export async function connectUpstream(login: UpstreamLogin): Promise<UpstreamConnection> {
  const socket = await openChannel(login);
  const tls = login.tls.mode === 'disable' ? undefined : (socket as TLSSocket);
  const frames = new FrameReader(socket, login.connectTimeoutMs ?? 10_000);
  try {
    socket.write(startupMessage({ ...login.parameters, user: login.user, database: login.database }));
    const parameters = new Map<string, string>();
    let backendKey: BackendKey | undefined;
    let scram: ReturnType<typeof scramStart> | undefined;
    for (;;) {
      const frame = await frames.next();
      switch (frame.code) {
        case BackendCode.Authentication: {
          const { kind, data } = decodeAuthentication(frame.raw);
          if (kind === AUTH_OK) break;
          if (kind === AUTH_CLEARTEXT) {
            if (!tls) throw new UpstreamError('upstream asked for a cleartext password without TLS; refused');
            socket.write(serialize.password(login.password));
          } else if (kind === AUTH_MD5) {
            socket.write(serialize.password(md5Password(login.user, login.password, decodeMd5Salt(data))));
          } else if (kind === AUTH_SASL) {
            scram = scramStart(decodeSaslMechanisms(data), tls);
            socket.write(serialize.sendSASLInitialResponseMessage(scram.mechanism, scram.response));
          } else if (kind === AUTH_SASL_CONTINUE && scram) {
            await scramContinue(scram, login.password, data.toString('utf8'), tls);
            socket.write(serialize.sendSCRAMClientFinalMessage(scram.response));
          } else if (kind === AUTH_SASL_FINAL && scram) {
            scramFinish(scram, data.toString('utf8'));
          } else {
            throw new UpstreamError(`upstream asked for unsupported authentication method ${kind}`);
          }
          break;
        }
        case BackendCode.ParameterStatus: {
          const [name, value] = decodeParameterStatus(frame.raw);
          parameters.set(name, value);
          break;
        }
        case BackendCode.BackendKeyData:
          backendKey = decodeBackendKey(frame.raw);
          break;
        case BackendCode.ErrorResponse: {
          const e = decodeErrorFields(frame.raw);
          throw new UpstreamError(`upstream refused the login: ${e.message}`, { sqlState: e.code });
        }
        case BackendCode.ReadyForQuery:
          return { socket, parameters, backendKey, remainder: frames.release() };
        default:
          // NoticeResponse, NegotiateProtocolVersion: nothing to act on during startup.
          break;
      }
    }
  } catch (err) {
    frames.release();
    socket.destroy();
    throw err instanceof UpstreamError ? err : new UpstreamError('upstream login failed', { cause: err });
  }
}

/** Asks the upstream to cancel the query running under `key`, on a new connection (protocol-flow, "Canceling Requests"). */
export async function cancelUpstream(endpoint: UpstreamEndpoint, key: BackendKey): Promise<void> {
  const socket = await openChannel({ ...endpoint, connectTimeoutMs: endpoint.connectTimeoutMs ?? 5_000 });
  const request = Buffer.alloc(12 + key.secretKey.length);
  request.writeInt32BE(request.length, 0);
  request.writeInt32BE(StartupCode.CancelRequest, 4);
  request.writeInt32BE(key.processId, 8);
  key.secretKey.copy(request, 12);
  // The server closes the connection without answering; wait for that, but not forever.
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, 2_000);
    socket.once('close', done).once('error', done).once('end', done);
    socket.resume();
    socket.write(request);
  });
}

/** StartupMessage for protocol 3.0 (our own: pg-protocol's always appends client_encoding). */
function startupMessage(parameters: Record<string, string>): Buffer {
  const pairs = Object.entries(parameters).flat();
  const body = Buffer.from(`${pairs.map((s) => `${s}\0`).join('')}\0`, 'utf8');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(3 << 16, 4);
  return Buffer.concat([head, body]);
}

/** "md5" + md5(md5(password + user) + salt), hex (protocol-flow, AuthenticationMD5Password). */
function md5Password(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5')
    .update(password + user, 'utf8')
    .digest('hex');
  return (
    'md5' +
    createHash('md5')
      .update(Buffer.concat([Buffer.from(inner), salt]))
      .digest('hex')
  );
}

function once(emitter: Socket | TLSSocket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    emitter.once('error', onError);
    emitter.once(event, () => {
      emitter.off('error', onError);
      resolve();
    });
  });
}

function readBytes(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      socket.off('data', onData).off('error', onError).off('close', onClose);
      socket.pause();
    };
    const onData = (b: Buffer) => {
      cleanup();
      resolve(b);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => onError(new UpstreamError('upstream closed the connection'));
    socket.on('data', onData).on('error', onError).on('close', onClose);
    socket.resume();
  });
}

/** Pulls whole backend messages off a socket during startup, with an overall deadline. */
class FrameReader {
  private readonly framer = new BackendFramer();
  private readonly ready: BackendFrame[] = [];
  private waiter: { resolve(f: BackendFrame): void; reject(e: Error): void } | undefined;
  private failure: Error | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket | TLSSocket,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(() => this.fail(new UpstreamError('upstream login timed out')), timeoutMs);
    socket.on('data', this.onData).on('error', this.fail).on('close', this.onClose);
    socket.resume();
  }

  next(): Promise<BackendFrame> {
    const frame = this.ready.shift();
    if (frame) return Promise.resolve(frame);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Detaches from the socket and returns the bytes not yet consumed. */
  release(): Buffer {
    clearTimeout(this.timer);
    this.socket.pause();
    this.socket.off('data', this.onData).off('error', this.fail).off('close', this.onClose);
    const rest = this.ready.map((f) => f.raw);
    return Buffer.concat([...rest, this.framer.takeRemainder()]);
  }

  private readonly onData = (chunk: Buffer) => {
    try {
      this.ready.push(...this.framer.push(chunk));
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    const w = this.waiter;
    const frame = w && this.ready.shift();
    if (w && frame) {
      this.waiter = undefined;
      w.resolve(frame);
    }
  };

  private readonly onClose = () =>
    this.fail(new UpstreamError('upstream closed the connection during login'));

  private readonly fail = (err: Error) => {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
  };
}
