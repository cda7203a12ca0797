import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import {
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { AuditError } from '../errors';
import { awsErrorName, awsHttpStatus } from '../secrets/aws-errors';
import { recordingObjectName, segmentObjectName } from './chains';

export interface S3UploaderOptions {
  /** Bucket name; the bucket must have Object Lock enabled. */
  readonly bucket: string;
  /** Prepended to every object key, e.g. "gateway-1/". @default '' */
  readonly prefix?: string;
  /** The bucket's region. @default the SDK's default (AWS_REGION, which ECS sets) */
  readonly region?: string;
  /** COMPLIANCE-mode retention of each object, counted from its upload. @default 2192 (6 years) */
  readonly retentionDays?: number;
  /** S3 endpoint, addressed path-style; tests point it at a local fake. @default the regional endpoint */
  readonly endpoint?: string;
  /**
   * Where signing credentials come from.
   * @default the AWS SDK's default chain: environment variables, then the ECS task role, …
   */
  readonly credentials?: S3ClientConfig['credentials'];
  /** Attempts per object for transient failures (network, 408, 409, 429, 5xx). @default 3 */
  readonly attempts?: number;
  /** First retry delay; doubles each attempt. @default 200 */
  readonly retryDelayMs?: number;
  /** Per-request time limit. @default 60_000 */
  readonly timeoutMs?: number;
  /** Clock for retain-until dates, for tests. @default Date.now */
  readonly now?: () => number;
}

export interface S3UploadedObject {
  readonly bucket: string;
  readonly key: string;
  /** The object's version (Object Lock buckets are versioned). */
  readonly versionId: string | undefined;
  /** Base64 SHA-256 of the content, as S3 verified and stored it. */
  readonly checksumSha256: string;
  readonly size: number;
  /** Until when S3 refuses to delete or overwrite this version. */
  readonly retainUntil: Date | undefined;
  /** False when an identical object was already there (a retried upload). */
  readonly created: boolean;
}

const DAY_MS = 86_400_000;
const QUIET = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Copies sealed audit segments and session recordings to an S3 bucket with Object Lock. Every
 * object is written in COMPLIANCE mode with a retain-until date, so no one, the root user
 * included, can delete or replace it before then. Uploads are create-only (`If-None-Match: *`)
 * and carry a SHA-256 checksum, which S3 verifies and which Object Lock requires of every write
 * that sets retention. A retry that finds an object of the same key counts as done only when its
 * checksum matches. A failure is an AuditError; the local file is never touched, so the caller
 * can keep it and try again.
 */
export class S3Uploader {
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly retentionDays: number;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly client: S3Client;

  constructor(options: S3UploaderOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
      throw new RangeError(`not an S3 bucket name: ${options.bucket}`);
    }
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.retentionDays = options.retentionDays ?? 2192;
    this.attempts = options.attempts ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 200;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.retentionDays) || this.retentionDays < 1) {
      throw new RangeError('retentionDays must be a whole number >= 1');
    }
    if (!Number.isInteger(this.attempts) || this.attempts < 1) throw new RangeError('attempts must be >= 1');
    if (!(this.timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      // A local endpoint has no per-bucket host names.
      forcePathStyle: options.endpoint !== undefined,
      credentials: options.credentials,
      // The body is a file stream, which the SDK cannot replay: retries reopen the file here.
      maxAttempts: 1,
      // The checksum is computed here, before the upload, from the file on disk.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Without a logger the SDK writes a failed streaming request to console.warn, beside the
      // gateway's structured logs; every failure already reaches the caller as an AuditError.
      logger: QUIET,
    });
  }

  /** A sealed audit segment, stored as `<prefix>segments/<host>/[chains/<id>/]<file name>` (chains.ts). */
  uploadSegment(path: string, chain = '', host = hostname()): Promise<S3UploadedObject> {
    return this.upload(path, segmentObjectName(path, chain, host), 'application/x-ndjson');
  }

  /**
   * A finished session recording, stored as `<prefix>recordings/<host>/<name>` (chains.ts); `name`
   * is its path under the recording directory.
   */
  uploadRecording(path: string, name = basename(path), host = hostname()): Promise<S3UploadedObject> {
    return this.upload(path, recordingObjectName(name, host), 'application/x-ndjson');
  }

  async upload(path: string, objectName: string, contentType: string): Promise<S3UploadedObject> {
    const key = this.prefix + objectName;
    let size: number;
    let sha256: string;
    try {
      size = (await stat(path)).size;
      sha256 = await fileSha256(path);
    } catch (err) {
      throw new AuditError(`cannot read ${path} for upload to s3://${this.bucket}/${key}`, { cause: err });
    }
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        return await this.tryUpload(path, key, contentType, size, sha256);
      } catch (err) {
        if (!(err instanceof TransientError)) throw err;
        lastError = err.cause ?? err;
        if (attempt < this.attempts) await delay(this.retryDelayMs * 2 ** (attempt - 1));
      }
    }
    throw new AuditError(
      `upload of ${key} to s3://${this.bucket} failed after ${this.attempts} attempts: ${awsErrorName(lastError)}`,
      { cause: lastError },
    );
  }

  /** Closes the SDK client's kept-alive connections. */
  close(): void {
    this.client.destroy();
  }

  private async tryUpload(
    path: string,
    key: string,
    contentType: string,
    size: number,
    sha256: string,
  ): Promise<S3UploadedObject> {
    const retainUntil = new Date(this.now() + this.retentionDays * DAY_MS);
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: createReadStream(path),
          ContentLength: size,
          ContentType: contentType,
          IfNoneMatch: '*',
          // SHA-256 rather than Content-MD5: MD5 is unavailable when Node runs in FIPS mode.
          ChecksumAlgorithm: 'SHA256',
          ChecksumSHA256: sha256,
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: retainUntil,
        }),
        { abortSignal: AbortSignal.timeout(this.timeoutMs) },
      );
      return {
        bucket: this.bucket,
        key,
        versionId: out.VersionId,
        checksumSha256: out.ChecksumSHA256 ?? sha256,
        size,
        retainUntil,
        created: true,
      };
    } catch (err) {
      // 412: the key exists. Write-once storage: compare instead of overwriting.
      if (awsHttpStatus(err) === 412) return this.existing(key, sha256);
      throw this.failure(err, `upload of ${key}`);
    }
  }

  private async existing(key: string, sha256: string): Promise<S3UploadedObject> {
    let head: HeadObjectCommandOutput;
    try {
      head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }),
        { abortSignal: AbortSignal.timeout(this.timeoutMs) },
      );
    } catch (err) {
      throw this.failure(err, `reading metadata of ${key}`);
    }
    if (head.ChecksumSHA256 !== sha256) {
      throw new AuditError(`s3://${this.bucket}/${key} already exists with different content`);
    }
    return {
      bucket: this.bucket,
      key,
      versionId: head.VersionId,
      checksumSha256: head.ChecksumSHA256,
      size: Number(head.ContentLength),
      retainUntil: head.ObjectLockRetainUntilDate,
      created: false,
    };
  }

  private failure(err: unknown, what: string): Error {
    const status = awsHttpStatus(err);
    // No status: the request never got an answer (network, timeout). 409: a concurrent
    // conditional write to the same key; the retry then sees 412 and compares.
    if (status === undefined || status === 408 || status === 409 || status === 429 || status >= 500) {
      return new TransientError(err);
    }
    return new AuditError(`${what} in s3://${this.bucket} was refused: ${awsErrorName(err)}`, { cause: err });
  }
}

class TransientError extends Error {
  constructor(cause: unknown) {
    super('transient failure', { cause });
  }
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('base64');
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
