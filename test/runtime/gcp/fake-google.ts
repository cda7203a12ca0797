/**
 * A local HTTP endpoint speaking the small part of the Google APIs the gateway uses: the metadata
 * server's token endpoint, Secret Manager `versions:access`, and Cloud Storage media upload and
 * object metadata. It is the only fake in the GCP runtime tests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32c, crc32cBase64 } from '../../../gateway-image/src/secrets/gcp-crc32c';

export interface StoredObject {
  readonly data: Buffer;
  readonly contentType: string;
  readonly generation: number;
}

export class FakeGoogle {
  readonly secrets = new Map<string, string>();
  readonly objects = new Map<string, StoredObject>();
  readonly requests: { method: string; path: string }[] = [];
  tokenLifetimeSec = 3600;
  tokensIssued = 0;
  /** Answer Secret Manager reads with a wrong dataCrc32c, as a corrupted payload would have. */
  corruptSecretChecksums = false;
  /** Status codes to answer instead of handling, consumed one per request, per path prefix. */
  private readonly faults: { prefix: string; status: number }[] = [];
  private readonly validTokens = new Set<string>();
  private generation = 1000;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => send(res, 500, { error: { message: String(err) } }));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  failNext(prefix: string, status: number, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push({ prefix, status });
  }

  revokeTokens(): void {
    this.validTokens.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname });
    const body = await readBody(req);
    const fault = this.faults.findIndex((f) => url.pathname.startsWith(f.prefix));
    if (fault >= 0) {
      const { status } = this.faults.splice(fault, 1)[0]!;
      return send(res, status, { error: { code: status, status: 'INJECTED' } });
    }
    if (url.pathname.startsWith('/computeMetadata/v1/instance/service-accounts/')) {
      // The real server refuses requests without this header (SSRF protection).
      if (req.headers['metadata-flavor'] !== 'Google') return send(res, 403, 'missing Metadata-Flavor');
      const token = `ya29.fake-${++this.tokensIssued}`;
      this.validTokens.add(token);
      return send(res, 200, { access_token: token, expires_in: this.tokenLifetimeSec, token_type: 'Bearer' });
    }
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!auth || !this.validTokens.has(auth)) {
      return send(res, 401, { error: { code: 401, status: 'UNAUTHENTICATED' } });
    }
    const access = /^\/v1\/(projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/:]+):access$/.exec(url.pathname);
    if (access && req.method === 'GET') {
      const value = this.secrets.get(access[1]!);
      if (value === undefined) return send(res, 404, { error: { code: 404, status: 'NOT_FOUND' } });
      const data = Buffer.from(value, 'utf8');
      return send(res, 200, {
        name: access[1],
        payload: {
          data: data.toString('base64'),
          dataCrc32c: String(this.corruptSecretChecksums ? 1 : crc32c(data)),
        },
      });
    }
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (upload && req.method === 'POST' && url.searchParams.get('uploadType') === 'media') {
      const bucket = decodeURIComponent(upload[1]!);
      const name = url.searchParams.get('name') ?? '';
      const key = `${bucket}/${name}`;
      const hash = /crc32c=([^,]+)/.exec(String(req.headers['x-goog-hash'] ?? ''))?.[1];
      if (hash && hash !== crc32cBase64(crc32c(body))) {
        return send(res, 400, { error: { code: 400, status: 'INVALID_ARGUMENT' } });
      }
      if (url.searchParams.get('ifGenerationMatch') === '0' && this.objects.has(key)) {
        return send(res, 412, { error: { code: 412, status: 'FAILED_PRECONDITION' } });
      }
      const obj = {
        data: body,
        contentType: String(req.headers['content-type']),
        generation: ++this.generation,
      };
      this.objects.set(key, obj);
      return send(res, 200, describe(bucket, name, obj));
    }
    const meta = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    if (meta && req.method === 'GET') {
      const bucket = decodeURIComponent(meta[1]!);
      const name = decodeURIComponent(meta[2]!);
      const obj = this.objects.get(`${bucket}/${name}`);
      if (!obj) return send(res, 404, { error: { code: 404, status: 'NOT_FOUND' } });
      return send(res, 200, describe(bucket, name, obj));
    }
    send(res, 404, { error: { code: 404, status: 'NOT_FOUND' } });
  }
}

function describe(bucket: string, name: string, obj: StoredObject): Record<string, string> {
  return {
    bucket,
    name,
    generation: String(obj.generation),
    size: String(obj.data.length),
    crc32c: crc32cBase64(crc32c(obj.data)),
    contentType: obj.contentType,
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
  res.end(text);
}
