/**
 * Moves an upstream response body to the client: through the body's decoders (zlib streams), then
 * a synchronous mask step, then the client socket, with backpressure. This replaces a stream
 * pipeline of Transforms: the masker is a plain function call per chunk, and an exchange costs
 * no AbortController, end-of-stream watchers or intermediate stream buffers.
 *
 * The response head is sent with the first bytes that are ready (`head`), so a body that fails
 * or stalls before any byte was sent can still be answered with a proper problem document.
 * Bytes ready in one event-loop turn leave together: a whole body that arrived at once goes out
 * in one write with its head.
 *
 * The stall watchdog: the upstream may not stay silent for `stallMs` while the gateway waits for
 * it. Time the client makes us wait (its socket is full) does not count.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { WardenError } from '../../errors';

export interface BodyMask {
  /** Masked bytes ready to send for this chunk (possibly none). Throws when the body cannot be masked. */
  write(chunk: Buffer): Buffer | string;
  /** What is still held at the end of the body. Throws when the body ended inside a value. */
  end(): Buffer | string;
}

export interface RelayOptions {
  /** Decoders of the upstream's content codings, outermost first (each piped into the next). */
  readonly decoders: readonly Transform[];
  readonly mask?: BodyMask;
  /**
   * Sends the response head; called once, just before the first body bytes. `length` is given
   * when the whole body was ready before the head went out (it may then carry a Content-Length).
   */
  head(length?: number): void;
  /** Every chunk on its way to the client (byte counts, the recorder's copy). */
  tap(chunk: Buffer): void;
  /** Longest upstream silence tolerated while the gateway is waiting for it. */
  readonly stallMs: number;
}

/** The upstream stopped sending in the middle of its response. */
export class UpstreamStallError extends WardenError {
  constructor(stallMs: number) {
    super('ERR_HTTP_UPSTREAM_TIMEOUT', `the upstream sent nothing for ${stallMs} ms`);
  }
}

/** The client went away before the response was complete. */
export class ClientGoneError extends WardenError {
  constructor() {
    super('ERR_HTTP_CLIENT_GONE', 'the client closed the connection before the response ended');
  }
}

/** Resolves once the client has the whole body; rejects (and destroys the upstream) otherwise. */
export function relay(upstream: IncomingMessage, res: ServerResponse, o: RelayOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let source: Readable = upstream;
    for (const d of o.decoders) source = source.pipe(d);
    let headSent = false;
    let waitingForClient = false;
    let settled = false;
    // Masked bytes wait for the end of the event-loop turn: a body that arrives whole (the common
    // case) then leaves in one TLS write with its head and a Content-Length, not as a chunk, then
    // the chunked terminator in a second write.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let flushing: NodeJS.Immediate | undefined;

    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      if (flushing) clearImmediate(flushing);
      if (!err) return resolve();
      upstream.destroy();
      for (const d of o.decoders) d.destroy();
      reject(err);
    };
    const hold = (out: Buffer | string) => {
      if (out.length === 0) return;
      const bytes = typeof out === 'string' ? Buffer.from(out, 'utf8') : out;
      o.tap(bytes);
      pending.push(bytes);
      pendingBytes += bytes.length;
    };
    const take = (): Buffer => {
      const bytes = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      return bytes;
    };
    const flush = () => {
      flushing = undefined;
      if (settled || pendingBytes === 0) return;
      if (!headSent) {
        headSent = true;
        o.head();
      }
      if (res.write(take())) return;
      waitingForClient = true;
      source.pause();
      res.once('drain', () => {
        waitingForClient = false;
        watchdog.refresh();
        source.resume();
      });
    };

    const watchdog = setTimeout(function stalled() {
      if (waitingForClient) return void watchdog.refresh();
      finish(new UpstreamStallError(o.stallMs));
    }, o.stallMs);
    upstream.on('data', () => watchdog.refresh());

    source.on('data', (chunk: Buffer) => {
      if (settled) return;
      try {
        hold(o.mask ? o.mask.write(chunk) : chunk);
      } catch (err) {
        return finish(err as Error);
      }
      if (pendingBytes > 0) flushing ??= setImmediate(flush);
    });
    source.once('end', () => {
      if (settled) return;
      // The upstream has said everything; what is left is the client's to read.
      clearTimeout(watchdog);
      try {
        if (o.mask) hold(o.mask.end());
      } catch (err) {
        return finish(err as Error);
      }
      if (flushing) clearImmediate(flushing);
      flushing = undefined;
      if (!headSent) {
        headSent = true;
        o.head(pendingBytes);
      }
      res.end(pendingBytes > 0 ? take() : undefined);
    });
    for (const s of [upstream, ...o.decoders]) s.once('error', (err: Error) => finish(err));
    // An upstream whose socket closes mid-body ends without 'end' (and, in some Node versions,
    // without 'error'): that is a failed response, never a complete one.
    upstream.once('close', () => {
      if (!upstream.complete) {
        finish(Object.assign(new Error('upstream closed mid-response'), { code: 'ERR_HTTP_UPSTREAM' }));
      }
    });
    res.once('finish', () => finish());
    res.once('close', () => {
      if (!res.writableFinished) finish(new ClientGoneError());
    });
  });
}
