/**
 * The upstream leg of an allowed REST request (get, list, watch, logs, writes): the caller's token
 * swapped for the cluster credential, the response masked as it streams (JSON, including watch
 * streams of one event per line, by the JSON rewriter; logs and other text line by line), and the
 * result audited when it ends. Only JSON and text come back: the gateway asks the API server for
 * JSON (never protobuf), and refuses any other body rather than pass bytes it cannot mask.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { clientResponseHeaders, upstreamRequestHeaders } from '../http/headers';
import type { BodyMask } from '../http/relay';
import { bodyKind, bodyMask, decoders } from '../http/response-body';
import { requestUpstream, UPSTREAM_TIMEOUT, type UpstreamPool } from '../http/upstream';
import type { AllowedRequest } from './gate';
import type { KubernetesGatewayHooks } from './hooks';
import { responseMasking } from './response-masking';
import { sendStatus, status } from './status';

export interface RestContext {
  readonly hooks: KubernetesGatewayHooks;
  readonly upstream: UpstreamPool;
  /** Time to the upstream's response headers. */
  readonly upstreamTimeoutMs: number;
}

interface Outcome {
  status: number;
  bytes: number;
  kind?: string;
  counts?: Record<string, number>;
  error?: string;
}

export async function forwardRest(
  ctx: RestContext,
  x: AllowedRequest,
  body: Buffer,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const outcome: Outcome = { status: 0, bytes: 0 };
  try {
    await relay(ctx, x, body, req, res, outcome);
  } catch (err) {
    outcome.error ??= (err as { code?: string }).code ?? 'ERR_UPSTREAM';
    ctx.hooks.log?.({
      level: 'warn',
      message: 'Kubernetes upstream exchange failed',
      session: x.session,
      err,
    });
    if (!res.headersSent) {
      const s =
        outcome.error === UPSTREAM_TIMEOUT
          ? status(504, 'Timeout', 'the cluster API did not answer in time', outcome.error)
          : outcome.error === 'ERR_HTTP_UPSTREAM_CREDENTIAL'
            ? status(502, 'BadGateway', 'the gateway could not load the cluster credential', outcome.error)
            : status(
                502,
                'BadGateway',
                'the cluster API could not be reached or answered badly',
                'ERR_UPSTREAM',
              );
      outcome.status = s.code;
      sendStatus(res, s);
    } else res.destroy();
  }
  try {
    await ctx.hooks.audit({
      type: 'request.result',
      principal: x.principal,
      connection: x.route.connection.name,
      session: x.session,
      body: {
        protocol: 'kubernetes',
        request: x.session,
        status: outcome.status,
        bytes: outcome.bytes,
        durationMs: Date.now() - x.startedAt.getTime(),
        ...(outcome.kind ? { body: outcome.kind } : {}),
        ...(outcome.counts && Object.keys(outcome.counts).length > 0 ? { masked: outcome.counts } : {}),
        ...(outcome.error ? { error: outcome.error } : {}),
      },
    });
  } catch (err) {
    ctx.hooks.log?.({ level: 'error', message: 'audit append of a result failed', session: x.session, err });
  }
  x.trace?.end({ 'http.response.status_code': outcome.status }, outcome.status >= 500);
}

/** Protobuf is a binary the masker cannot read: ask for JSON (every API server speaks it). */
export function jsonOnlyAccept(accept: string | undefined): string {
  const kept = (accept ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '' && !/protobuf|cbor|yaml/i.test(a));
  return kept.length > 0 ? kept.join(',') : 'application/json';
}

async function relay(
  ctx: RestContext,
  x: AllowedRequest,
  body: Buffer,
  req: IncomingMessage,
  res: ServerResponse,
  outcome: Outcome,
): Promise<void> {
  x.trace?.stage('upstream');
  const up = await ctx.upstream.target(x.route.connection);
  const headers = upstreamRequestHeaders(
    { ...req.headers, accept: jsonOnlyAccept(req.headers.accept) },
    up.headers,
    up.url.host,
    body.length,
  );
  // The cluster's own tracing (if any) sees the gateway's upstream stage as its parent.
  const traceparent = x.trace?.traceparent();
  if (traceparent) headers.traceparent = traceparent;
  const upRes = await requestUpstream(up, {
    method: req.method,
    path: `${x.route.path}${x.target.search}`,
    headers,
    body,
    timeoutMs: ctx.upstreamTimeoutMs,
    client: res,
  });

  const code = upRes.statusCode ?? 502;
  outcome.status = code;
  const m = responseMasking(x.facts, x.masker);
  const headerCounts: Record<string, number> = {};
  outcome.counts = headerCounts;
  if (req.method === 'HEAD' || code === 204 || code === 304 || code < 200) {
    res.writeHead(code, clientResponseHeaders(upRes.headers, true, m.masker, headerCounts));
    res.end();
    upRes.resume();
    return;
  }
  const kind = bodyKind(upRes.headers['content-type']);
  outcome.kind = kind;
  const decode = decoders(upRes.headers['content-encoding']);
  if (kind === 'binary' || decode === undefined) {
    upRes.destroy();
    outcome.status = 502;
    outcome.error = 'ERR_UPSTREAM_BODY_REFUSED';
    return sendStatus(
      res,
      status(
        502,
        'BadGateway',
        'the cluster answered in a form the gateway cannot mask (not JSON or text)',
        outcome.error,
      ),
    );
  }
  const mask = m.masker.passThrough ? undefined : bodyMask(kind, m.masker, m.fields);
  if (mask) {
    outcome.counts = mask.counts;
    x.trace?.stage('masking');
  }
  res.writeHead(
    code,
    clientResponseHeaders(
      upRes.headers,
      mask !== undefined || decode.length > 0,
      m.masker,
      mask?.counts ?? headerCounts,
    ),
  );
  // Each event of a watch reaches the client as soon as it is masked.
  res.flushHeaders();
  upRes.on('data', (c: Buffer) => {
    outcome.bytes += c.length;
  });
  await pipeline([upRes, ...decode, ...(mask ? [maskingTransform(mask)] : []), res]);
}

/** A body mask as a stream stage: each chunk's masked bytes pass on at once (watch events included). */
function maskingTransform(mask: BodyMask): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        done(null, mask.write(chunk));
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      try {
        done(null, mask.end());
      } catch (err) {
        done(err as Error);
      }
    },
  });
}
