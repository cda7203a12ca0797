/**
 * `kubectl exec` through the gateway: the WebSocket upgrade passes the same gate as every request
 * (the command judged by the SSH inspector and policy, held for approval when policy says so, the
 * attempt audited), then the gateway opens its own WebSocket to the cluster with the cluster
 * credential and relays channel messages. Output (stdout, stderr, the final Status) is masked line
 * by line before the client sees it and recorded as asciicast v2 with the input; the exit status
 * and counts are audited when the stream ends. Only the binary channel protocols v5 and v4 are
 * relayed: their messages are whole, so no channel byte is ever guessed.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { AsciicastWriter } from '../../recording/asciicast';
import type { UpstreamPool } from '../http/upstream';
import type { RecordingTarget } from '../ssh/hooks';
import { MaskStream } from '../ssh/mask-stream';
import {
  type ChannelProtocol,
  CLOSE,
  chooseProtocol,
  decodeMessage,
  ERROR,
  encodeMessage,
  exitCodeOf,
  RESIZE,
  STDERR,
  STDIN,
  STDOUT,
} from './channels';
import { type AllowedRequest, type GateContext, gateRequest, Refusal } from './gate';
import { type KubernetesStatus, refuseUpgrade, status } from './status';

export interface ExecContext extends GateContext {
  readonly upstream: UpstreamPool;
  readonly upstreamTimeoutMs: number;
  /** Remembers why an exec was refused, for kubectl's SPDY retry that follows (see spdy.ts). */
  readonly remember: (req: IncomingMessage, message: Refusal) => void;
}

/** Stops a relay whose client or upstream went silent at the protocol level. */
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

export async function handleExecUpgrade(
  ctx: ExecContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const protocol = chooseProtocol(req.headers['sec-websocket-protocol']);
  let x: AllowedRequest;
  try {
    // The inspector names what is refused first (port-forward, attach); only then the protocol.
    x = await gateRequest(ctx, req, true, () =>
      protocol === undefined
        ? status(
            400,
            'BadRequest',
            'exec needs the v5.channel.k8s.io or v4.channel.k8s.io WebSocket protocol',
            'ERR_PROTOCOL',
          )
        : undefined,
    );
  } catch (err) {
    const refusal =
      err instanceof Refusal
        ? err
        : new Refusal(status(500, 'InternalError', 'the request could not be processed'));
    ctx.remember(req, refusal);
    return refuseUpgrade(socket, refusal.status);
  }
  if (socket.destroyed) return x.trace?.end();
  await relay(ctx, x, protocol!, req, socket, head);
}

interface Counts {
  bytesIn: number;
  bytesOut: number;
  exitCode?: number;
  error?: string;
  masked: Record<string, number>;
}

async function relay(
  ctx: ExecContext,
  x: AllowedRequest,
  protocol: ChannelProtocol,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const { hooks } = ctx;
  const connection = x.route.connection.name;
  const counts: Counts = { bytesIn: 0, bytesOut: 0, masked: {} };
  let recording: RecordingTarget;
  let upstream: WebSocket;
  try {
    recording = await hooks.record({
      principal: x.principal,
      connection,
      session: x.session,
      target: [x.facts.namespace, x.facts.name, x.facts.container].filter((p) => p !== undefined).join('/'),
      command: x.shownFacts.command?.commandLine ?? '',
      tty: x.facts.tty ?? false,
    });
  } catch (err) {
    hooks.log?.({
      level: 'error',
      message: 'exec recording could not start; refused',
      session: x.session,
      err,
    });
    x.trace?.end({ 'http.response.status_code': 503 }, true);
    return refuseUpgrade(
      socket,
      status(
        503,
        'ServiceUnavailable',
        'the session recording could not start, so the exec is refused',
        'ERR_RECORDING',
      ),
    );
  }
  try {
    // The exec's stream, masked as it flows, is one upstream stage until it ends.
    x.trace?.stage('upstream');
    upstream = await openUpstream(ctx, x, protocol);
  } catch (err) {
    await recording.close();
    const s =
      err instanceof UpstreamRefusal
        ? { ...err.status, message: hooks.textMasker(x.principal, connection).mask(err.status.message).text }
        : status(502, 'BadGateway', 'the cluster API could not be reached for exec', 'ERR_UPSTREAM');
    if (!(err instanceof UpstreamRefusal))
      hooks.log?.({ level: 'warn', message: 'exec upstream failed', session: x.session, err });
    await auditResult(ctx, x, { ...counts, error: s.details?.causes[0]?.reason ?? 'ERR_UPSTREAM' });
    return refuseUpgrade(socket, s);
  }
  const cast = new AsciicastWriter(
    {
      width: 80,
      height: 24,
      command: x.shownFacts.command?.commandLine ?? '',
      title: `kubectl exec ${x.facts.namespace ?? ''}/${x.facts.name ?? ''}`,
    },
    (line) => recording.write(line),
  );
  const textMasker = hooks.textMasker(x.principal, connection);
  wss.handleUpgrade(req, socket, head, (client) => {
    const send = (channel: number, data: Buffer | string) => {
      if (client.readyState !== WebSocket.OPEN) return;
      const msg = encodeMessage(channel, data);
      counts.bytesOut += msg.length - 1;
      client.send(msg, { binary: true });
    };
    const idle = x.facts.tty ? { idleFlushMs: 50 } : {};
    const outputs = new Map(
      [STDOUT, STDERR].map((ch) => [
        ch,
        new MaskStream(
          textMasker,
          (masked) => {
            cast.output(masked);
            send(ch, masked);
          },
          idle,
        ),
      ]),
    );
    let finished = false;
    const finish = (code: number, reason: string) => {
      if (finished) return;
      finished = true;
      for (const [, m] of outputs) {
        m.end();
        for (const [k, n] of Object.entries(m.counts)) counts.masked[k] = (counts.masked[k] ?? 0) + n;
      }
      cast.marker(counts.exitCode === undefined ? 'ended' : `exit ${counts.exitCode}`);
      cast.end();
      if (client.readyState === WebSocket.OPEN) client.close(code, reason);
      if (upstream.readyState === WebSocket.OPEN) upstream.close();
      void recording
        .close()
        .catch((err) =>
          hooks.log?.({ level: 'error', message: 'exec recording failed', session: x.session, err }),
        )
        .then(() => auditResult(ctx, x, counts));
    };

    upstream.on('message', (raw: Buffer, isBinary: boolean) => {
      const m = isBinary ? decodeMessage(raw) : undefined;
      if (!m) return finish(1003, 'unexpected message from the cluster');
      counts.bytesIn += m.data.length;
      const out = outputs.get(m.channel);
      if (out) {
        // An empty message opens the channel (the API server's handshake): passed on as it is.
        if (m.data.length === 0) return send(m.channel, m.data);
        return out.push(m.data);
      }
      if (m.channel === ERROR) {
        // Output still held (a last line without newline) goes first, as the process wrote it.
        for (const [, o] of outputs) o.end();
        const text = m.data.toString('utf8');
        counts.exitCode = exitCodeOf(text);
        return send(ERROR, textMasker.mask(text).text);
      }
      if (m.channel === CLOSE) return send(CLOSE, m.data);
    });
    client.on('message', (raw: Buffer, isBinary: boolean) => {
      const m = isBinary ? decodeMessage(raw) : undefined;
      // Only what a client may send: stdin, terminal size, and (v5) the close of its stdin.
      if (!m || ![STDIN, RESIZE, CLOSE].includes(m.channel)) return finish(1003, 'unexpected channel');
      if (m.channel === STDIN && m.data.length > 0) cast.input(textMasker.mask(m.data.toString('utf8')).text);
      if (m.channel === RESIZE) {
        try {
          const size = JSON.parse(m.data.toString('utf8')) as { Width?: number; Height?: number };
          if (Number.isInteger(size.Width) && Number.isInteger(size.Height))
            cast.resize(size.Width!, size.Height!);
        } catch {
          return finish(1003, 'bad resize message');
        }
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(raw, { binary: true });
    });
    upstream.once('close', () => finish(1000, ''));
    upstream.once('error', (err) => {
      hooks.log?.({ level: 'warn', message: 'exec upstream stream failed', session: x.session, err });
      counts.error = 'ERR_UPSTREAM';
      finish(1011, 'the cluster stream failed');
    });
    client.once('close', () => finish(1000, ''));
    client.once('error', () => finish(1011, ''));
  });
}

/** The cluster declined the upgrade (pod not found, container not running, …): its Status. */
class UpstreamRefusal extends Error {
  constructor(readonly status: KubernetesStatus) {
    super(status.message);
  }
}

async function openUpstream(
  ctx: ExecContext,
  x: AllowedRequest,
  protocol: ChannelProtocol,
): Promise<WebSocket> {
  const up = await ctx.upstream.target(x.route.connection);
  const base = up.url.pathname.replace(/\/+$/, '');
  const url = `wss://${up.url.host}${base}${x.route.path}${x.target.search}`;
  return new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url, [protocol], {
      agent: up.agent,
      headers: up.headers,
      perMessageDeflate: false,
      handshakeTimeout: ctx.upstreamTimeoutMs,
    });
    ws.once('open', () => {
      if (ws.protocol !== protocol) {
        ws.terminate();
        reject(new Error(`the cluster chose protocol "${ws.protocol}"`));
      } else resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.length < 64 && chunks.push(c));
      res.on('end', () => {
        const code = res.statusCode ?? 502;
        let message = `the cluster refused the exec (HTTP ${code})`;
        try {
          const s = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message?: unknown };
          if (typeof s.message === 'string') message = s.message;
        } catch {
          // not a Status: the generic message stands
        }
        const reason =
          code === 404 ? 'NotFound' : code === 403 ? 'Forbidden' : code === 400 ? 'BadRequest' : 'BadGateway';
        reject(
          new UpstreamRefusal(
            status(code >= 400 && code < 600 ? code : 502, reason, message, 'ERR_UPSTREAM_REFUSED'),
          ),
        );
      });
      res.on('error', reject);
    });
    ws.once('error', reject);
  });
}

async function auditResult(ctx: ExecContext, x: AllowedRequest, c: Counts): Promise<void> {
  try {
    await ctx.hooks.audit({
      type: 'request.result',
      principal: x.principal,
      connection: x.route.connection.name,
      session: x.session,
      body: {
        protocol: 'kubernetes',
        request: x.session,
        exec: true,
        ...(c.exitCode === undefined ? {} : { exitCode: c.exitCode }),
        bytesIn: c.bytesIn,
        bytesOut: c.bytesOut,
        durationMs: Date.now() - x.startedAt.getTime(),
        ...(Object.keys(c.masked).length > 0 ? { masked: c.masked } : {}),
        ...(c.error ? { error: c.error } : {}),
      },
    });
  } catch (err) {
    ctx.hooks.log?.({
      level: 'error',
      message: 'audit append of an exec result failed',
      session: x.session,
      err,
    });
  }
  x.trace?.end(undefined, c.error !== undefined);
}
