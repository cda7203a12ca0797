/**
 * The upstream leg of an allowed exchange and the response's way back: the credential injected,
 * identifying response headers masked, the body decoded and masked as it streams (relay.ts,
 * response-body.ts), a capped masked copy kept for the recorder, and the result audited when the
 * response has ended. `upstreamTimeoutMs` covers the whole response: the upstream may not stay
 * silent that long, before its headers or anywhere in its body. A body that fails to decode, to
 * mask or to arrive in time is answered with a problem document if nothing was sent yet, and
 * otherwise ends the response early: the client sees an incomplete transfer, never unmasked bytes
 * nor a short body that looks whole.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendProblem } from '../../admin/problem';
import { JsonMaskRewriter } from '../../masking/json-stream';
import type { AllowedExchange, ExchangeContext } from './exchange';
import { clientResponseHeaders, problem, upstreamRequestHeaders } from './headers';
import { relay } from './relay';
import { binaryAllowed, bodyKind, bodyMask, decoders, fieldPathsFor } from './response-body';
import { requestUpstream, UPSTREAM_TIMEOUT, type UpstreamTarget } from './upstream';

interface Outcome {
  status: number;
  bytes: number;
  kind?: string;
  /** Masked values in the response headers, per entity and strategy. */
  counts: Record<string, number>;
  /** The body masker's counts, complete once the body has ended. */
  bodyCounts?: Readonly<Record<string, number>>;
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
  const outcome: Outcome = { status: 0, bytes: 0, counts: {} };
  try {
    await exchange(ctx, x, req, res, outcome);
  } catch (err) {
    outcome.error ??= (err as { code?: string }).code ?? 'ERR_INTERNAL';
    ctx.hooks.log?.({ level: 'warn', message: 'HTTP upstream exchange failed', session: x.session, err });
    if (!res.headersSent && !res.destroyed) {
      const p =
        outcome.error === UPSTREAM_TIMEOUT
          ? problem(504, UPSTREAM_TIMEOUT, 'the upstream did not answer in time')
          : outcome.error === 'ERR_HTTP_UPSTREAM_CREDENTIAL'
            ? problem(502, outcome.error, 'the gateway could not load the upstream credential')
            : problem(502, 'ERR_HTTP_UPSTREAM', 'the upstream could not be reached or answered badly');
      outcome.status = p.status;
      sendProblem(res, p);
    } else res.destroy();
  }
  const durationMs = Date.now() - x.startedAt.getTime();
  const { hooks } = ctx;
  x.trace?.stage('audit');
  const masked = { ...outcome.counts };
  for (const [k, n] of Object.entries(outcome.bodyCounts ?? {})) masked[k] = (masked[k] ?? 0) + n;
  const connection = x.route.connection.name;
  if (hooks.record) {
    try {
      const requestBody = recordRequestBody(x, req.headers['content-type'], ctx.recordMaxBytes);
      await hooks.record({
        session: x.session,
        principal: x.principal,
        connection,
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
  try {
    // Nothing waits on the result: it rides with the next attempt's write (the attempt itself was
    // durable before the request went upstream).
    await hooks.audit({
      type: 'request.result',
      principal: x.principal,
      connection,
      session: x.session,
      deferred: true,
      body: {
        protocol: 'http',
        request: x.session,
        status: outcome.status,
        bytes: outcome.bytes,
        durationMs,
        ...(outcome.kind ? { body: outcome.kind } : {}),
        ...(Object.keys(masked).length > 0 ? { masked } : {}),
        ...(outcome.error ? { error: outcome.error } : {}),
      },
    });
  } catch (err) {
    hooks.log?.({ level: 'error', message: 'audit append of a result failed', session: x.session, err });
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

/** Sends the request upstream; resolves with the response head. */
function send(
  ctx: ExchangeContext,
  x: AllowedExchange,
  up: UpstreamTarget,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<IncomingMessage> {
  const headers = upstreamRequestHeaders(req.headers, up.headers, up.url.host, x.body.length);
  // Traced: the upstream call is a child of the gateway's upstream stage (W3C Trace Context).
  const traceparent = x.trace?.traceparent();
  if (traceparent) headers.traceparent = traceparent;
  return requestUpstream(up, {
    method: req.method,
    path: `${x.route.path}${x.target.search}`,
    headers,
    body: x.body,
    timeoutMs: ctx.upstreamTimeoutMs,
    client: res,
  });
}

async function exchange(
  ctx: ExchangeContext,
  x: AllowedExchange,
  req: IncomingMessage,
  res: ServerResponse,
  outcome: Outcome,
): Promise<void> {
  x.trace?.stage('upstream');
  const up = await ctx.upstream.target(x.route.connection);
  const upRes = await send(ctx, x, up, req, res).catch((err: { code?: string; reusedSocket?: boolean }) => {
    if (!staleKeptAliveSocket(err) || !IDEMPOTENT.has(req.method ?? '') || res.destroyed) throw err;
    return send(ctx, x, up, req, res);
  });
  const status = upRes.statusCode ?? 502;
  outcome.status = status;
  const contentType = upRes.headers['content-type'];
  outcome.responseContentType = contentType;
  // Identifying headers (Location, Link, …) are masked whatever the body is.
  const headers = (unmaskedBytes: boolean) =>
    clientResponseHeaders(upRes.headers, unmaskedBytes, x.masker, outcome.counts);
  /** A head for a body whose bytes may differ from the upstream's (`changed`). */
  const headFor = (changed: boolean) => (length?: number) => {
    const h = headers(changed);
    // A body that was whole before the head went out: say how long it is instead of chunking it.
    if (length !== undefined && h['content-length'] === undefined) h['content-length'] = length;
    res.writeHead(status, h);
  };
  const noBody = req.method === 'HEAD' || status === 204 || status === 304 || status < 200;
  if (noBody) {
    res.writeHead(status, headers(true));
    res.end();
    upRes.resume();
    return;
  }
  const kind = bodyKind(contentType);
  outcome.kind = kind;
  const tap = new ByteTap(kind === 'binary' ? 0 : ctx.recordMaxBytes);
  const stallMs = ctx.upstreamTimeoutMs;
  try {
    if (kind === 'binary') {
      if (!binaryAllowed(contentType, x.route.connection.binaryContentTypes)) {
        upRes.destroy();
        outcome.status = 403;
        outcome.error = 'ERR_HTTP_CONTENT_TYPE_REFUSED';
        const why = 'the upstream answered with a content type this connection does not pass through';
        return sendProblem(res, problem(403, outcome.error, why));
      }
      return await relay(upRes, res, { decoders: [], head: headFor(false), tap: (c) => tap.add(c), stallMs });
    }
    const decode = decoders(upRes.headers['content-encoding']);
    if (decode === undefined) {
      upRes.destroy();
      outcome.status = 502;
      outcome.error = 'ERR_HTTP_CONTENT_ENCODING';
      const why = 'the upstream used a content coding the gateway cannot mask';
      return sendProblem(res, problem(502, outcome.error, why));
    }
    // A pass-through masker would copy every token unchanged: skip the parse. Undecoded bytes go
    // out with the headers that describe them; decoded ones (for the recorder) without.
    const mask = x.masker.passThrough
      ? undefined
      : bodyMask(kind, x.masker, fieldPathsFor(x.route.connection));
    if (mask) outcome.bodyCounts = mask.counts;
    if (mask) x.trace?.stage('masking');
    const head = headFor(mask !== undefined || decode.length > 0);
    await relay(upRes, res, {
      decoders: decode,
      ...(mask ? { mask } : {}),
      head,
      tap: (c) => tap.add(c),
      stallMs,
    });
  } finally {
    outcome.bytes = tap.bytes;
    if (kind !== 'binary') {
      outcome.responseBody = tap.kept();
      outcome.responseBodyTruncated = tap.truncated;
    }
  }
}

/** Counts bytes on their way to the client and keeps the first `keep` of them for the recorder. */
class ByteTap {
  bytes = 0;
  truncated = false;
  private readonly parts: Buffer[] = [];
  private held = 0;

  constructor(private readonly keep: number) {}

  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.held < this.keep) {
      // Chunks are not reused once written, so a view is enough.
      const part = chunk.length <= this.keep - this.held ? chunk : chunk.subarray(0, this.keep - this.held);
      this.parts.push(part);
      this.held += part.length;
    }
    if (this.bytes > this.keep) this.truncated = true;
  }

  kept(): string {
    return Buffer.concat(this.parts, this.held).toString('utf8');
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
      const fields = fieldPathsFor(x.route.connection);
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
