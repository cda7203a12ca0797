/**
 * Upstreams that record what the gateway sends them, for the protocol fuzz runs.
 *
 * - Postgres: a TCP relay in front of the real test server that reads every frontend message the
 *   gateway sends with a strict reader of its own and notes anything malformed (bad lengths,
 *   fields that run past their message, strings without their NUL, bytes left over, unknown
 *   message types, SQL that is not valid UTF-8 or does not parse).
 * - SSH: an ssh2 server that records every channel request and global request, and answers
 *   each exec with exit status 0.
 * - HTTP: a Node.js server (whose own parser is strict) that records every request and every
 *   request its parser rejected.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { loadModule, parseSync } from 'libpg-query';
import { Server as SshServer } from 'ssh2';
import { REFUSED_SQL } from '../../../gateway-image/src/protocols/postgres/session/frontend-relay';

export interface PgRecording {
  readonly port: number;
  /** Connections the gateway opened to the upstream. */
  connections: number;
  /** Messages by type letter (the startup message as "startup"). */
  readonly types: Map<string, number>;
  /** SQL texts of Query and Parse messages, the gateway's refusal placeholder left out. */
  readonly statements: string[];
  readonly violations: string[];
  close(): Promise<void>;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const CANCEL_REQUEST = 80877102;

/** A relay to `target` that reads the gateway's side strictly. */
export async function startPgRecorder(target: { host: string; port: number }): Promise<PgRecording> {
  await loadModule();
  const sockets = new Set<Socket>();
  const rec: PgRecording = {
    port: 0,
    connections: 0,
    types: new Map(),
    statements: [],
    violations: [],
    close: () => closeServer(server, sockets),
  };
  const server = createServer((client) => {
    rec.connections++;
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const reader = new FrontendReader(rec);
    client.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) s.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(rec, { port: (server.address() as { port: number }).port });
}

/** Reads frontend messages as PostgreSQL would and notes every way one is malformed. */
class FrontendReader {
  private buffer = Buffer.alloc(0);
  private started = false;

  constructor(private readonly rec: PgRecording) {}

  push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerBytes = this.started ? 5 : 4;
      if (this.buffer.length < headerBytes) return;
      const length = this.buffer.readInt32BE(this.started ? 1 : 0);
      if (length < 4 || length > 1 << 24) {
        this.rec.violations.push(`message length ${length}`);
        this.buffer = Buffer.alloc(0);
        return;
      }
      const total = length + (this.started ? 1 : 0);
      if (this.buffer.length < total) return;
      const message = this.buffer.subarray(0, total);
      this.buffer = this.buffer.subarray(total);
      if (this.started) this.message(String.fromCharCode(message[0]!), message.subarray(5));
      else {
        this.started = true;
        const code = message.readInt32BE(4);
        // A CancelRequest on a connection of its own: the gateway cancels what a departed client left running.
        if (code === CANCEL_REQUEST && length === 16) this.count('cancel');
        else if (code === 196608) this.count('startup');
        else this.rec.violations.push(`startup code ${code}`);
      }
    }
  }

  private count(type: string) {
    this.rec.types.set(type, (this.rec.types.get(type) ?? 0) + 1);
  }

  private message(type: string, body: Buffer): void {
    this.count(type);
    const r = new StrictReader(body);
    try {
      switch (type) {
        case 'Q':
          this.sql(r.cstring());
          break;
        case 'P': {
          r.cstring();
          this.sql(r.cstring());
          const n = r.int16();
          for (let i = 0; i < n; i++) r.int32();
          break;
        }
        case 'B': {
          r.cstring();
          r.cstring();
          const formats = r.int16();
          for (let i = 0; i < formats; i++) r.format();
          const values = r.int16();
          for (let i = 0; i < values; i++) {
            const len = r.int32();
            if (len < -1) throw new Error(`parameter length ${len}`);
            if (len > 0) r.bytes(len);
          }
          const results = r.int16();
          for (let i = 0; i < results; i++) r.format();
          break;
        }
        case 'E':
          r.cstring();
          r.int32();
          break;
        case 'D':
        case 'C':
          if (!'SP'.includes(String.fromCharCode(r.int8()))) throw new Error('target is neither S nor P');
          r.cstring();
          break;
        case 'S':
        case 'H':
        case 'X':
        case 'c':
          break;
        case 'f':
          r.cstring();
          break;
        case 'd':
        case 'p':
          r.rest();
          break;
        default:
          throw new Error('unknown message type');
      }
      r.end();
    } catch (err) {
      this.rec.violations.push(`${JSON.stringify(type)}: ${(err as Error).message}`);
    }
  }

  private sql(bytes: Buffer): void {
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw new Error('SQL is not valid UTF-8');
    }
    if (text === REFUSED_SQL) return;
    this.rec.statements.push(text);
    try {
      parseSync(text);
    } catch {
      throw new Error(`SQL does not parse: ${JSON.stringify(text.slice(0, 80))}`);
    }
  }
}

class StrictReader {
  private at = 0;

  constructor(private readonly b: Buffer) {}

  private need(n: number): void {
    if (this.at + n > this.b.length) throw new Error('field runs past the message');
  }

  int8(): number {
    this.need(1);
    return this.b[this.at++]!;
  }

  int16(): number {
    this.need(2);
    const v = this.b.readInt16BE(this.at);
    this.at += 2;
    if (v < 0) throw new Error(`negative count ${v}`);
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.b.readInt32BE(this.at);
    this.at += 4;
    return v;
  }

  format(): void {
    const f = this.int16();
    if (f !== 0 && f !== 1) throw new Error(`format code ${f}`);
  }

  bytes(n: number): Buffer {
    this.need(n);
    this.at += n;
    return this.b.subarray(this.at - n, this.at);
  }

  cstring(): Buffer {
    const nul = this.b.indexOf(0, this.at);
    if (nul < 0) throw new Error('string without its NUL');
    const s = this.b.subarray(this.at, nul);
    this.at = nul + 1;
    return s;
  }

  rest(): void {
    this.at = this.b.length;
  }

  end(): void {
    if (this.at !== this.b.length) throw new Error(`${this.b.length - this.at} bytes left over`);
  }
}

export interface SshRecording {
  readonly port: number;
  /** OpenSSH public key line of the server's host key (what the connection pins). */
  readonly hostKey: string;
  /** Every request the server received: "exec <command>", "env", "pty-req", "global <name>", … */
  readonly requests: string[];
  close(): Promise<void>;
}

/** An SSH server that accepts the gateway's key and records what it asks for. */
export async function startSshRecorder(hostKeyPem: string, hostKeyLine: string): Promise<SshRecording> {
  const requests: string[] = [];
  const server = new SshServer({ hostKeys: [hostKeyPem] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) =>
      ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey']),
    );
    client.on('request', (_accept, reject, name) => {
      requests.push(`global ${name}`);
      reject?.();
    });
    client.on('tcpip', (_a, reject) => {
      requests.push('direct-tcpip');
      reject();
    });
    client.on('session', (accept) => {
      const session = accept();
      for (const kind of [
        'pty',
        'window-change',
        'signal',
        'env',
        'x11',
        'auth-agent',
        'shell',
        'subsystem',
        'sftp',
      ] as const) {
        session.on(kind, (acceptIt: unknown, reject?: () => void) => {
          requests.push(kind);
          if (kind === 'shell' || kind === 'subsystem' || kind === 'sftp') {
            const ch = (acceptIt as () => { exit(c: number): void; end(): void })();
            ch.exit(0);
            ch.end();
          } else if (typeof acceptIt === 'function' && kind !== 'env') (acceptIt as () => void)();
          else reject?.();
        });
      }
      session.on('exec', (acceptIt, _reject, info) => {
        requests.push(`exec ${info.command}`);
        const ch = acceptIt();
        ch.write('ok\n');
        ch.exit(0);
        ch.end();
      });
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    hostKey: hostKeyLine,
    requests,
    close: () => closeServer(server as unknown as Server, sockets),
  };
}

export interface HttpRecording {
  readonly port: number;
  /** Requests the server's parser accepted, in order: method, URL, headers, body length. */
  readonly requests: {
    method: string;
    url: string;
    headers: Record<string, string | string[] | undefined>;
    body: number;
  }[];
  /** Requests its parser rejected (what it would answer 400 to), by error code. */
  readonly rejected: string[];
  close(): Promise<void>;
}

/** Answers every request with 200 and `x-upstream-request: <n>`, n counting from 1. */
export async function startHttpRecorder(): Promise<HttpRecording> {
  const rec: HttpRecording = { port: 0, requests: [], rejected: [], close: async () => undefined };
  const server: HttpServer = createHttpServer((req, res) => {
    let body = 0;
    req.on('data', (d: Buffer) => {
      body += d.length;
    });
    req.once('end', () => {
      rec.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-upstream-request': String(rec.requests.length),
      });
      res.end('{"ok":true}');
    });
  });
  server.on('clientError', (err: { code?: string }, socket: Socket) => {
    rec.rejected.push(err.code ?? 'unknown');
    socket.destroy();
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(rec, {
    port: (server.address() as { port: number }).port,
    close: () => closeServer(server as unknown as Server, sockets),
  });
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((r) => server.close(() => r()));
}
