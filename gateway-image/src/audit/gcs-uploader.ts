import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { AuditError } from '../errors';
import { crc32cBase64, crc32cUpdate } from '../secrets/gcp-crc32c';
import { type AccessTokenSource, MetadataTokenSource } from '../secrets/gcp-metadata-token';
import { recordingObjectName, segmentObjectName } from './chains';

export interface GcsUploaderOptions {
  /** Bucket name (no gs:// prefix). */
  readonly bucket: string;
  /** Prepended to every object name, e.g. "gateway-1/". @default '' */
  readonly prefix?: string;
  /** Cloud Storage base URL; tests point it at a local fake. @default 'https://storage.googleapis.com' */
  readonly storageUrl?: string;
  /** @default a MetadataTokenSource on `metadataUrl` */
  readonly tokenSource?: AccessTokenSource;
  /** @default 'http://metadata.google.internal' */
  readonly metadataUrl?: string;
  /** Attempts per object for transient failures (network, 429, 5xx). @default 3 */
  readonly attempts?: number;
  /** First retry delay; doubles each attempt. @default 200 */
  readonly retryDelayMs?: number;
  /** Per-request time limit. @default 60_000 */
  readonly timeoutMs?: number;
}

export interface UploadedObject {
  readonly bucket: string;
  readonly name: string;
  readonly generation: string;
  readonly crc32c: string;
  readonly size: number;
  /** False when an identical object was already there (a retried upload). */
  readonly created: boolean;
}

/**
 * Copies sealed audit segments and session recordings to a GCS bucket with a locked retention
 * policy. Each upload is create-only (`ifGenerationMatch=0`) and carries its CRC32C, so GCS rejects
 * a corrupted body and nothing already stored is ever replaced. A retry that finds an object of the
 * same name counts as done only when its checksum matches; a different object is an AuditError.
 */
export class GcsUploader {
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly baseUrl: string;
  private readonly tokens: AccessTokenSource;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;

  constructor(options: GcsUploaderOptions) {
    if (!/^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$/.test(options.bucket)) {
      throw new RangeError(`not a GCS bucket name: ${options.bucket}`);
    }
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.baseUrl = (options.storageUrl ?? 'https://storage.googleapis.com').replace(/\/+$/, '');
    this.tokens = options.tokenSource ?? new MetadataTokenSource({ metadataUrl: options.metadataUrl });
    this.attempts = options.attempts ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 200;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    if (!Number.isInteger(this.attempts) || this.attempts < 1) throw new RangeError('attempts must be >= 1');
  }

  /** A sealed audit segment, stored as `<prefix>segments/<host>/[chains/<id>/]<file name>` (chains.ts). */
  uploadSegment(path: string, chain = '', host = hostname()): Promise<UploadedObject> {
    return this.upload(path, segmentObjectName(path, chain, host), 'application/x-ndjson');
  }

  /**
   * A finished session recording, stored as `<prefix>recordings/<host>/<name>` (chains.ts); `name`
   * is its path under the recording directory.
   */
  uploadRecording(path: string, name = basename(path), host = hostname()): Promise<UploadedObject> {
    return this.upload(path, recordingObjectName(name, host), 'application/x-ndjson');
  }

  async upload(path: string, objectName: string, contentType: string): Promise<UploadedObject> {
    const name = this.prefix + objectName;
    const { size } = await stat(path);
    const crc = crc32cBase64(await fileCrc32c(path));
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        return await this.tryUpload(path, name, contentType, size, crc);
      } catch (err) {
        if (!(err instanceof TransientError)) throw err;
        lastError = err.cause ?? err;
        if (attempt < this.attempts) await delay(this.retryDelayMs * 2 ** (attempt - 1));
      }
    }
    throw new AuditError(`upload of ${name} to gs://${this.bucket} failed after ${this.attempts} attempts`, {
      cause: lastError,
    });
  }

  private async tryUpload(
    path: string,
    name: string,
    contentType: string,
    size: number,
    crc: string,
  ): Promise<UploadedObject> {
    const url =
      `${this.baseUrl}/upload/storage/v1/b/${encodeURIComponent(this.bucket)}/o` +
      `?uploadType=media&ifGenerationMatch=0&name=${encodeURIComponent(name)}`;
    const res = await this.send(url, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'content-length': String(size),
        'x-goog-hash': `crc32c=${crc}`,
      },
      body: Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
    if (res.ok) return this.toUploaded(await res.json(), true);
    // 412: the object already exists. Write-once storage: compare instead of overwriting.
    if (res.status === 412) return this.existing(name, crc);
    throw await this.failure(res, `upload of ${name}`);
  }

  private async existing(name: string, crc: string): Promise<UploadedObject> {
    const url = `${this.baseUrl}/storage/v1/b/${encodeURIComponent(this.bucket)}/o/${encodeURIComponent(name)}`;
    const res = await this.send(url, { method: 'GET' });
    if (!res.ok) throw await this.failure(res, `reading metadata of ${name}`);
    const found = this.toUploaded(await res.json(), false);
    if (found.crc32c !== crc) {
      throw new AuditError(`gs://${this.bucket}/${name} already exists with different content`);
    }
    return found;
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    const token = await this.tokens.getToken();
    try {
      return await fetch(url, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new TransientError(err);
    }
  }

  private async failure(res: Response, what: string): Promise<Error> {
    await res.body?.cancel();
    if (res.status === 401) this.tokens.invalidate?.();
    if (res.status === 401 || res.status === 408 || res.status === 429 || res.status >= 500) {
      return new TransientError(new Error(`${what}: HTTP ${res.status}`));
    }
    return new AuditError(`${what} in gs://${this.bucket} was refused: HTTP ${res.status}`);
  }

  private toUploaded(body: unknown, created: boolean): UploadedObject {
    const o = body as Record<string, unknown>;
    return {
      bucket: String(o.bucket ?? this.bucket),
      name: String(o.name),
      generation: String(o.generation),
      crc32c: String(o.crc32c),
      size: Number(o.size),
      created,
    };
  }
}

class TransientError extends Error {
  constructor(cause: unknown) {
    super('transient failure', { cause });
  }
}

async function fileCrc32c(path: string): Promise<number> {
  let crc = 0;
  for await (const chunk of createReadStream(path)) crc = crc32cUpdate(crc, chunk as Buffer);
  return crc;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
