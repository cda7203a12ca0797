/**
 * A local HTTP endpoint speaking the small part of AWS the gateway uses: Secrets Manager
 * `GetSecretValue` (JSON 1.1), S3 `PutObject` and `HeadObject` (path-style), and the ECS container
 * credentials endpoint. It is the only fake in the AWS runtime tests.
 *
 * Every API request must carry a valid SigV4 signature: the fake knows the keys it handed out and
 * checks the Authorization header's shape, its credential scope (region and service) and the
 * signature itself, so a request signed for the wrong region or over the wrong bytes is refused
 * as AWS would refuse it. PutObject is held to what an Object Lock bucket demands.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkSigV4, type SigningKey } from './sigv4-check';

export interface StoredObject {
  readonly data: Buffer;
  readonly contentType: string;
  readonly lockMode: string;
  readonly retainUntil: Date;
  readonly checksumSha256: string;
  readonly versionId: string;
}

export type AwsOperation = 'GetSecretValue' | 'PutObject' | 'HeadObject';

export const STATIC_KEYS: SigningKey = {
  accessKeyId: 'AKIAFAKEFAKEFAKE0001',
  secretAccessKey: 'fake/secret/access/key/0000000000000000',
};

export class FakeAws {
  readonly secrets = new Map<string, string | Buffer>();
  readonly objects = new Map<string, StoredObject>();
  /** Signed API requests that passed the signature check, with the scope they were signed for. */
  readonly calls: { operation: AwsOperation; region: string; accessKeyId: string }[] = [];
  /** The bearer token the ECS agent would hand the task in AWS_CONTAINER_AUTHORIZATION_TOKEN. */
  readonly containerToken = 'fake-ecs-agent-token';
  containerCredentialsIssued = 0;
  /** Delay before answering GetSecretValue, to hold concurrent callers in flight. */
  secretDelayMs = 0;
  private readonly keys = new Map<string, SigningKey>([[STATIC_KEYS.accessKeyId, STATIC_KEYS]]);
  private readonly faults: { operation: AwsOperation; status: number }[] = [];
  private version = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) =>
        sendJson(res, 500, { __type: 'InternalFailure', message: String(err) }),
      );
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  /** Answer the next `times` calls of `operation` with `status` instead of handling them. */
  failNext(operation: AwsOperation, status: number, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push({ operation, status });
  }

  count(operation: AwsOperation): number {
    return this.calls.filter((c) => c.operation === operation).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const body = await readBody(req);
    if (url.pathname === '/ecs-credentials') return this.containerCredentials(req, res);

    const target = req.headers['x-amz-target'];
    const operation: AwsOperation | undefined =
      target === 'secretsmanager.GetSecretValue'
        ? 'GetSecretValue'
        : req.method === 'PUT'
          ? 'PutObject'
          : req.method === 'HEAD'
            ? 'HeadObject'
            : undefined;
    if (!operation) return sendJson(res, 400, { __type: 'UnknownOperationException' });
    const service = operation === 'GetSecretValue' ? 'secretsmanager' : 's3';
    const signed = checkSigV4(req, body, service, this.keys);
    if (!signed.ok) {
      return service === 's3'
        ? sendS3Error(res, 403, 'SignatureDoesNotMatch')
        : sendJson(res, 403, { __type: 'InvalidSignatureException', message: signed.reason });
    }
    this.calls.push({ operation, region: signed.region, accessKeyId: signed.accessKeyId });
    const fault = this.faults.findIndex((f) => f.operation === operation);
    if (fault >= 0) {
      const { status } = this.faults.splice(fault, 1)[0]!;
      return service === 's3'
        ? sendS3Error(res, status, status >= 500 ? 'ServiceUnavailable' : 'AccessDenied')
        : sendJson(res, status, { __type: status >= 500 ? 'InternalServiceError' : 'AccessDeniedException' });
    }
    if (operation === 'GetSecretValue') return this.getSecretValue(req, body, res);
    const [, bucket, ...rest] = url.pathname.split('/');
    const key = rest.map(decodeURIComponent).join('/');
    if (operation === 'PutObject') return this.putObject(req, body, res, `${bucket}/${key}`);
    return this.headObject(req, res, `${bucket}/${key}`);
  }

  private async getSecretValue(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1') {
      return sendJson(res, 400, { __type: 'SerializationException' });
    }
    const { SecretId } = JSON.parse(body.toString('utf8')) as { SecretId?: string };
    if (this.secretDelayMs > 0) await new Promise((r) => setTimeout(r, this.secretDelayMs));
    const value = SecretId === undefined ? undefined : this.secrets.get(SecretId);
    if (value === undefined) {
      return sendJson(res, 400, {
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      });
    }
    sendJson(res, 200, {
      ARN: SecretId,
      Name: SecretId?.split(':')[6],
      VersionId: 'v-1',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 1_700_000_000,
      ...(typeof value === 'string' ? { SecretString: value } : { SecretBinary: value.toString('base64') }),
    });
  }

  private putObject(req: IncomingMessage, body: Buffer, res: ServerResponse, id: string) {
    const h = req.headers;
    if (h['content-encoding']?.includes('aws-chunked')) return sendS3Error(res, 501, 'NotImplemented');
    // Object Lock: a write that sets retention must carry Content-MD5 or an x-amz-checksum-* header.
    const sha256 = h['x-amz-checksum-sha256'];
    if (typeof sha256 !== 'string' && h['content-md5'] === undefined)
      return sendS3Error(res, 400, 'InvalidRequest');
    if (typeof sha256 === 'string' && sha256 !== createHash('sha256').update(body).digest('base64')) {
      return sendS3Error(res, 400, 'BadDigest');
    }
    const retainUntil = new Date(String(h['x-amz-object-lock-retain-until-date']));
    if (h['x-amz-object-lock-mode'] !== 'COMPLIANCE' || Number.isNaN(retainUntil.getTime())) {
      return sendS3Error(res, 400, 'InvalidRequest');
    }
    if (h['if-none-match'] === '*' && this.objects.has(id))
      return sendS3Error(res, 412, 'PreconditionFailed');
    const obj: StoredObject = {
      data: body,
      contentType: String(h['content-type']),
      lockMode: 'COMPLIANCE',
      retainUntil,
      checksumSha256: createHash('sha256').update(body).digest('base64'),
      versionId: `ver-${++this.version}`,
    };
    this.objects.set(id, obj);
    res.writeHead(200, {
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      'x-amz-version-id': obj.versionId,
      'x-amz-checksum-sha256': obj.checksumSha256,
    });
    res.end();
  }

  private headObject(req: IncomingMessage, res: ServerResponse, id: string) {
    const obj = this.objects.get(id);
    if (!obj) {
      res.writeHead(404);
      return void res.end();
    }
    res.writeHead(200, {
      'content-length': String(obj.data.length),
      'content-type': obj.contentType,
      'x-amz-version-id': obj.versionId,
      'x-amz-object-lock-mode': obj.lockMode,
      'x-amz-object-lock-retain-until-date': obj.retainUntil.toISOString(),
      ...(req.headers['x-amz-checksum-mode'] === 'ENABLED'
        ? { 'x-amz-checksum-sha256': obj.checksumSha256 }
        : {}),
    });
    res.end();
  }

  /** What the ECS agent serves at AWS_CONTAINER_CREDENTIALS_*_URI: the task role's session keys. */
  private containerCredentials(req: IncomingMessage, res: ServerResponse) {
    if (req.headers.authorization !== this.containerToken)
      return sendJson(res, 401, { message: 'unauthorized' });
    const n = ++this.containerCredentialsIssued;
    const key: SigningKey = {
      accessKeyId: `ASIAFAKETASKROLE${String(n).padStart(4, '0')}`,
      secretAccessKey: `task-role-secret-${n}`,
      sessionToken: `task-role-session-${n}`,
    };
    this.keys.set(key.accessKeyId, key);
    sendJson(res, 200, {
      AccessKeyId: key.accessKeyId,
      SecretAccessKey: key.secretAccessKey,
      Token: key.sessionToken,
      Expiration: new Date(Date.now() + 3_600_000).toISOString(),
    });
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const type = (body as { __type?: string }).__type;
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    ...(type ? { 'x-amzn-errortype': type } : {}),
  });
  res.end(JSON.stringify(body));
}

function sendS3Error(res: ServerResponse, status: number, code: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code}</Message></Error>`,
  );
}
