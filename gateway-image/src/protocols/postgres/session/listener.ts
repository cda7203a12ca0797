/**
 * The Postgres listener: accepts TCP connections, negotiates encryption (SSLRequest, PostgreSQL 17
 * direct TLS with ALPN "postgresql", GSSENCRequest refused), routes CancelRequests, and hands each
 * StartupMessage to a PostgresSession.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SSL
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import { trackSockets } from '../../tracked-sockets';
import type { PostgresSessionHooks } from '../hooks';
import * as write from '../wire/backend-writer';
import { FrontendParser } from '../wire/frontend-parser';
import { type FrontendMessage, TLS_HANDSHAKE_BYTE } from '../wire/messages';
import { clientErrors } from './client-errors';
import { PostgresSession } from './session';

export interface PostgresListenerOptions {
  readonly host: string;
  /** 0 picks a free port (see `address`). */
  readonly port: number;
  /** The gateway's certificate chain and key (PEM). @default none: SSLRequest is answered 'N' */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Accept a token over an unencrypted connection; loopback sandboxes only. @default false */
  readonly allowPlaintextPassword?: boolean;
  readonly hooks: PostgresSessionHooks;
  /** Encryption, startup and login must finish within this time. @default 30000 */
  readonly startupTimeoutMs?: number;
  /** @default 10000 */
  readonly upstreamConnectTimeoutMs?: number;
  /** Largest client message once authenticated. @default 1 GiB - 1 */
  readonly maxMessageBytes?: number;
  /** Largest statement (a Query or Parse message) the gateway inspects. @default 16 MiB */
  readonly maxStatementBytes?: number;
}

export interface PostgresListener {
  readonly address: AddressInfo;
  /** Live sessions (for tests and metrics). */
  readonly sessions: ReadonlySet<PostgresSession>;
  /** Stops accepting, ends every session with FATAL 57P01, and resolves when the server is closed. */
  close(): Promise<void>;
}

export async function startPostgresListener(options: PostgresListenerOptions): Promise<PostgresListener> {
  const startupTimeoutMs = options.startupTimeoutMs ?? 30_000;
  const upstreamConnectTimeoutMs = options.upstreamConnectTimeoutMs ?? 10_000;
  const maxMessageBytes = options.maxMessageBytes ?? 0x3fffffff;
  const maxStatementBytes = options.maxStatementBytes ?? 16 * 1024 * 1024;
  const allowPlaintext = options.allowPlaintextPassword ?? false;
  const secureContext = options.tls
    ? createSecureContext({ cert: options.tls.cert, key: options.tls.key })
    : undefined;
  const { hooks } = options;
  const sessions = new Set<PostgresSession>();
  const byCancelKey = new Map<string, PostgresSession>();
  const negotiating = new Set<Socket>();
  /** TCP sockets whose StartupMessage reached a session (which then owns the startup deadline). */
  const handedOver = new WeakSet<Socket>();

  const log = (message: string, err?: unknown) => hooks.log?.({ level: 'warn', message, err });

  function newCancelKey(upstreamPid?: number): { processId: number; secretKey: Buffer; id: string } {
    for (;;) {
      const processId = upstreamPid ?? randomInt(1, 2 ** 31 - 1);
      const secretKey = randomBytes(4);
      const id = cancelId(processId, secretKey);
      if (!byCancelKey.has(id)) return { processId, secretKey, id };
    }
  }

  function startSession(
    raw: Socket,
    socket: Socket,
    parser: FrontendParser,
    startup: Extract<FrontendMessage, { type: 'startup' }>,
  ) {
    handedOver.add(raw);
    let key = newCancelKey();
    const session = new PostgresSession({
      id: randomUUID(),
      client: socket,
      parser,
      startup,
      hooks: hooks.forClient?.(raw.remoteAddress) ?? hooks,
      maxMessageBytes,
      upstreamConnectTimeoutMs,
      clientKey: key,
      adoptProcessId: (pid) => {
        byCancelKey.delete(key.id);
        key = newCancelKey(pid);
        byCancelKey.set(key.id, session);
        return key;
      },
      onClosed: (s) => {
        sessions.delete(s);
        byCancelKey.delete(key.id);
      },
    });
    sessions.add(session);
    byCancelKey.set(key.id, session);
    const timer = setTimeout(() => {
      if (session.state === 'authenticating' || session.state === 'connecting')
        void session.close('startup-timeout');
    }, startupTimeoutMs);
    timer.unref();
    session.start();
  }

  /** Reads startup-phase packets until a StartupMessage or CancelRequest ends the negotiation. */
  function negotiate(raw: Socket, socket: Socket, encrypted: boolean, initial?: Buffer): void {
    negotiating.add(socket);
    const parser = new FrontendParser({ maxMessageBytes, maxStatementBytes });
    const finish = () => {
      socket.off('data', onData);
      socket.pause();
      negotiating.delete(socket);
    };
    const reject = (fatal?: write.ErrorFields) => {
      finish();
      if (fatal) socket.end(write.errorResponse(fatal));
      else socket.destroy();
    };
    const onData = (chunk: Buffer) => {
      let messages: FrontendMessage[];
      try {
        messages = parser.parse(chunk);
      } catch (err) {
        log('client startup protocol violation', err);
        return reject(clientErrors.protocolViolation());
      }
      for (const [i, m] of messages.entries()) {
        const last = i === messages.length - 1 && parser.pendingBytes === 0;
        if (m.type === 'sslRequest' || m.type === 'gssEncRequest') {
          // Bytes after the request were sent before encryption: refuse them (CVE-2021-23214).
          if (encrypted || !last) return reject(clientErrors.protocolViolation());
          if (m.type === 'gssEncRequest' || !secureContext) {
            socket.write(write.ENCRYPTION_REFUSED);
            continue;
          }
          finish();
          socket.write(write.SSL_ACCEPTED);
          return void upgrade(raw, false);
        }
        if (m.type === 'cancelRequest') {
          finish();
          socket.destroy();
          const target = byCancelKey.get(cancelId(m.processId, m.secretKey));
          if (target) target.cancel().catch((err: unknown) => log('cancel request failed', err));
          return;
        }
        if (m.type !== 'startup') return reject(clientErrors.protocolViolation());
        if (!encrypted && !allowPlaintext) return reject(clientErrors.tlsRequired());
        finish();
        return startSession(raw, socket, parser, m);
      }
    };
    socket.on('data', onData);
    if (initial) onData(initial);
    socket.resume();
  }

  function upgrade(socket: Socket, direct: boolean): void {
    const secure = new TLSSocket(socket, {
      isServer: true,
      secureContext: secureContext!,
      ALPNProtocols: ['postgresql'],
    });
    secure.on('error', (err) => {
      log('client TLS error', err);
      secure.destroy();
    });
    secure.once('secure', () => {
      // Direct TLS is only PostgreSQL if the client said so through ALPN (protocol-flow, "Direct SSL").
      if (direct && secure.alpnProtocol !== 'postgresql') return void secure.destroy();
      negotiate(socket, secure, true);
    });
  }

  const server = createServer({ pauseOnConnect: true }, (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    const timer = setTimeout(() => {
      if (!handedOver.has(socket)) socket.destroy();
    }, startupTimeoutMs);
    timer.unref();
    socket.once('data', (first: Buffer) => {
      socket.pause();
      if (first[0] === TLS_HANDSHAKE_BYTE) {
        if (!secureContext) return void socket.destroy();
        // The TLS layer takes over the bytes already read (Node re-reads a socket's buffered data).
        socket.unshift(first);
        return void upgrade(socket, true);
      }
      negotiate(socket, socket, false, first);
    });
    socket.resume();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const sockets = trackSockets(server);
  // An accept failure (EMFILE, ENFILE) is emitted here; without a listener it would end the process.
  server.on('error', (err) => hooks.log?.({ level: 'error', message: 'postgres listener error', err }));

  return {
    address: server.address() as AddressInfo,
    sessions,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of negotiating) s.destroy();
      await Promise.all([...sessions].map((s) => s.close('shutdown', clientErrors.shuttingDown())));
      // Sessions end their clients gracefully (FATAL, then end); whatever is left is cut.
      sockets.destroyAll();
      await closed;
    },
  };
}

function cancelId(processId: number, secretKey: Buffer): string {
  return `${processId}:${secretKey.toString('hex')}`;
}
