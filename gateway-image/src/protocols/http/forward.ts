/**
 * The upstream leg of an allowed exchange and the response's way back: the credential injected,
 * the body decoded and masked as it streams (see response-body.ts), a capped masked copy kept for
 * the recorder, and the result audited when the response has ended. A body that fails to decode
 * or to mask after the status line went out ends the response early: the client sees a truncated
 * transfer, never unmasked bytes.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sendProblem } from '../../admin/problem';
import { JsonMaskRewriter } from '../../masking/json-stream';
import type { AllowedExchange, ExchangeContext } from './exchange';
import { clientResponseHeaders, problem, upstreamRequestHeaders } from './headers';
import { binaryAllowed, bodyKind, decoders, fieldPathsFor, maskingStream } from './response-body';

interface Outcome {
  status: number;
  bytes: number;
  kind?: string;
  counts?: Record<string, number>;
  error?: string;
  responseBody?: string;
  responseBodyTruncated?: boolean;
  responseContentType?: string;
}

export async function forward(
  ctx: ExchangeContext,
  x: AllowedExchange,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const outcome: Outcome = { status: 0, bytes: 0 };
  try {
    await exchange(ctx, x, req, res, outcome);
  } catch (err) {
    outcome.error ??= (err as { code?: string }).code ?? 'ERR_INTERNAL';
    ctx.hooks.log?.({ level: 'warn', message: 'HTTP upstream exchange failed', session: x.session, err });
    if (!res.headersSent) {
      const timeout = outcome.error === 'ERR_HTTP_UPSTREAM_TIMEOUT';
      const p = timeout
        ? problem(504, outcome.error, 'the upstream did not answer in time')
        : outcome.error === 'ERR_HTTP_UPSTREAM_CREDENTIAL'
          ? problem(502, outcome.error, 'the gateway could not load the upstream credential')
          : problem(502, 'ERR_HTTP_UPSTREAM', 'the upstream could not be reached or answered badly');
      outcome.status = p.status;
      sendProblem(res, p);
    } else res.destroy();
  }
  const durationMs = Date.now() - x.startedAt.getTime();
  const { hooks } = ctx;
  try {
    await hooks.audit({
      type: 'request.result',
      principal: x.principal,
      connection: x.route.connection.name,
      session: x.session,
      body: {
        request: x.session,
        status: outcome.status,
        bytes: outcome.bytes,
        durationMs,
        ...(outcome.kind ? { body: outcome.kind } : {}),
        ...(outcome.counts && Object.keys(outcome.counts).length > 0 ? { masked: outcome.counts } : {}),
        ...(outcome.error ? { error: outcome.error } : {}),
      },
    });
  } catch (err) {
    hooks.log?.({ level: 'error', message: 'audit append of a result failed', session: x.session, err });
  }
  if (!hooks.record) return;
  try {
    const requestBody = recordRequestBody(x, req.headers['content-type'], ctx.recordMaxBytes);
    await hooks.record({
      session: x.session,
      principal: x.principal,
      connection: x.route.connection.name,
      startedAt: x.startedAt,
      durationMs,
      facts: x.shownFacts,
      status: outcome.status,
      ...requestBody,
      ...(outcome.responseBody === undefined
        ? {}
        : {
            responseBody: outcome.responseBody,
            responseBodyTruncated: outcome.responseBodyTruncated ?? false,
          }),
      ...(outcome.responseContentType ? { responseContentType: outcome.responseContentType } : {}),
    });
  } catch (err) {
    hooks.log?.({ level: 'error', message: 'recording failed', session: x.session, err });
  }
}

async function exchange(
  ctx: ExchangeContext,
  x: AllowedExchange,
  req: IncomingMessage,
  res: ServerResponse,
  outcome: Outcome,
): Promise<void> {
  const up = await ctx.upstream.target(x.route.connection);
  const base = up.url.pathname.replace(/\/+$/, '');
  const send = (): Promise<IncomingMessage> =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const request = up.url.protocol === 'https:' ? httpsRequest : httpRequest;
      const upReq = request({
        host: up.url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: up.url.port || undefined,
        method: req.method,
        path: `${base}${x.route.path}${x.target.search}`,
        headers: upstreamRequestHeaders(req.headers, up.headers, up.url.host, x.body.length),
        agent: up.agent,
      });
      upReq.setTimeout(ctx.upstreamTimeoutMs, () =>
        upReq.destroy(Object.assign(new Error('upstream timeout'), { code: 'ERR_HTTP_UPSTREAM_TIMEOUT' })),
      );
      upReq.once('response', (r) => {
        upReq.setTimeout(0);
        resolve(r);
      });
      upReq.once('error', (err) => reject(Object.assign(err, { reusedSocket: upReq.reusedSocket })));
      // A client that goes away mid-request takes the upstream request with it.
      res.once('close', () => upReq.destroy());
      upReq.end(x.body);
    });
  const upRes = await send().catch((err: { code?: string; reusedSocket?: boolean }) => {
    if (!staleKeptAliveSocket(err) || !IDEMPOTENT.has(req.method ?? '') || res.destroyed) throw err;
    return send();
  });
  const status = upRes.statusCode ?? 502;
  outcome.status = status;
  const contentType = upRes.headers['content-type'];
  outcome.responseContentType = contentType;
  const noBody = req.method === 'HEAD' || status === 204 || status === 304 || status < 200;
  if (noBody) {
    res.writeHead(status, clientResponseHeaders(upRes.headers, true));
    res.end();
    upRes.resume();
    return;
  }
  const kind = bodyKind(contentType);
  outcome.kind = kind;
  const counter = new ByteTap(kind === 'binary' ? 0 : ctx.recordMaxBytes);
  if (kind === 'binary') {
    if (!binaryAllowed(contentType, x.route.connection.binaryContentTypes)) {
      upRes.destroy();
      outcome.status = 403;
      outcome.error = 'ERR_HTTP_CONTENT_TYPE_REFUSED';
      return sendProblem(
        res,
        problem(
          403,
          outcome.error,
          'the upstream answered with a content type this connection does not pass through',
        ),
      );
    }
    res.writeHead(status, clientResponseHeaders(upRes.headers, false));
    await pipeline(upRes, counter, res);
    outcome.bytes = counter.bytes;
    return;
  }
  const decode = decoders(upRes.headers['content-encoding']);
  if (decode === undefined) {
    upRes.destroy();
    outcome.status = 502;
    outcome.error = 'ERR_HTTP_CONTENT_ENCODING';
    return sendProblem(
      res,
      problem(502, outcome.error, 'the upstream used a content coding the gateway cannot mask'),
    );
  }
  // A pass-through masker would copy every token unchanged: skip the parse. Undecoded bytes go
  // out with the headers that describe them; decoded ones (for the recorder) without.
  const mask = x.masker.passThrough
    ? undefined
    : maskingStream(kind, x.masker, fieldPathsFor(x.route.connection.phiFields));
  if (mask) outcome.counts = mask.counts;
  res.writeHead(status, clientResponseHeaders(upRes.headers, mask !== undefined || decode.length > 0));
  try {
    await pipeline([upRes, ...decode, ...(mask ? [mask] : []), counter, res]);
  } finally {
    outcome.bytes = counter.bytes;
    outcome.responseBody = counter.kept();
    outcome.responseBodyTruncated = counter.truncated;
  }
}

/** Methods a request may be sent again with (RFC 9110 § 9.2.2), all of its body held in x.body. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The upstream closed an idle kept-alive connection just as the gateway reused it (its keep-alive
 * timeout and the gateway's reuse crossed): the request almost certainly never reached the
 * upstream's application, and for an idempotent method one more try on a new connection is safe
 * either way.
 */
function staleKeptAliveSocket(err: { code?: string; reusedSocket?: boolean }): boolean {
  return err.reusedSocket === true && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
}

/** Counts bytes on their way to the client and keeps the first `keep` of them for the recorder. */
class ByteTap extends Transform {
  bytes = 0;
  truncated = false;
  private readonly parts: Buffer[] = [];
  private held = 0;

  constructor(private readonly keep: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: () => void): void {
    this.bytes += chunk.length;
    if (this.held < this.keep) {
      const part = chunk.subarray(0, this.keep - this.held);
      this.parts.push(Buffer.from(part));
      this.held += part.length;
    }
    if (this.bytes > this.keep) this.truncated = true;
    this.push(chunk);
    callback();
  }

  kept(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}

/** The request body as the recorder gets it: masked like a response body, capped. */
function recordRequestBody(
  x: AllowedExchange,
  contentType: string | undefined,
  max: number,
): { requestBody?: string; requestBodyTruncated?: boolean } {
  if (x.body.length === 0) return {};
  const kind = bodyKind(contentType);
  let text: string;
  if (kind === 'binary') return {};
  if (kind === 'json') {
    try {
      const fields = fieldPathsFor(x.route.connection.phiFields);
      const rw = new JsonMaskRewriter({
        masker: x.masker,
        ...(fields ? { fields } : {}),
        ...(x.masker.maskField ? { maskField: (e: string, v: string) => x.masker.maskField!(e, v) } : {}),
      });
      text = Buffer.concat([rw.write(x.body), rw.end()]).toString('utf8');
    } catch {
      return { requestBody: '[request body is not valid JSON; not recorded]', requestBodyTruncated: false };
    }
  } else text = x.masker.mask(x.body.toString('utf8')).text;
  const bytes = Buffer.from(text, 'utf8');
  return { requestBody: bytes.subarray(0, max).toString('utf8'), requestBodyTruncated: bytes.length > max };
}
