import type { ParsedSecretRef } from '../config/secret-ref';
import { SecretError } from '../errors';
import { crc32c } from './gcp-crc32c';
import { type AccessTokenSource, MetadataTokenSource } from './gcp-metadata-token';
import type { SecretProvider } from './provider';

export interface GcpSecretManagerProviderOptions {
  /**
   * Secret Manager API base URL; tests point it at a local fake.
   * @default 'https://secretmanager.googleapis.com'
   */
  readonly secretManagerUrl?: string;
  /**
   * Where access tokens come from.
   * @default a MetadataTokenSource on `metadataUrl`
   */
  readonly tokenSource?: AccessTokenSource;
  /** Metadata server for the default token source. @default 'http://metadata.google.internal' */
  readonly metadataUrl?: string;
  /**
   * How long a resolved value is reused. Short, because references are resolved again for every
   * new upstream connection so that rotation needs no restart. 0 disables the cache.
   * @default 30_000
   */
  readonly valueCacheTtlMs?: number;
  /** Per-request time limit. @default 5_000 */
  readonly timeoutMs?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

const VERSION_NAME = /^projects\/[^/\s]+\/secrets\/[^/\s]+\/versions\/[^/\s]+$/;

/**
 * `gcp-secretmanager:projects/<p>/secrets/<s>/versions/<v>[#jsonKey]`. Returns the whole payload;
 * the SecretResolver picks `#jsonKey` out of it. The payload's CRC32C is checked when the API
 * sends one, so a corrupted credential is an error rather than a confusing login failure.
 */
export class GcpSecretManagerProvider implements SecretProvider {
  readonly scheme = 'gcp-secretmanager';
  private readonly baseUrl: string;
  private readonly tokens: AccessTokenSource;
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, { value: string; expiresAtMs: number }>();

  constructor(options: GcpSecretManagerProviderOptions = {}) {
    this.baseUrl = (options.secretManagerUrl ?? 'https://secretmanager.googleapis.com').replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.tokens =
      options.tokenSource ??
      new MetadataTokenSource({ metadataUrl: options.metadataUrl, timeoutMs: this.timeoutMs, now: this.now });
    this.ttlMs = options.valueCacheTtlMs ?? 30_000;
    if (!(this.ttlMs >= 0)) throw new RangeError('valueCacheTtlMs must be >= 0');
    if (!(this.timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
  }

  async resolve(ref: ParsedSecretRef): Promise<string> {
    const name = ref.location;
    if (ref.scheme !== this.scheme || !VERSION_NAME.test(name)) {
      throw new SecretError(`not a Secret Manager version name: ${ref.scheme}:${name.slice(0, 120)}`);
    }
    const hit = this.cache.get(name);
    if (hit && this.now() < hit.expiresAtMs) return hit.value;
    const value = await this.access(name);
    if (this.ttlMs > 0) this.cache.set(name, { value, expiresAtMs: this.now() + this.ttlMs });
    return value;
  }

  private async access(name: string): Promise<string> {
    const token = await this.tokens.getToken();
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/v1/${name}:access`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new SecretError(`Secret Manager unreachable while reading ${name}`, { cause: err });
    }
    if (!res.ok) {
      if (res.status === 401) this.tokens.invalidate?.();
      // Google's error status (NOT_FOUND, PERMISSION_DENIED) helps an operator; the body carries no secret.
      const status = await errorStatus(res);
      throw new SecretError(
        `Secret Manager refused ${name}: HTTP ${res.status}${status ? ` ${status}` : ''}`,
      );
    }
    const body = (await res.json().catch(() => undefined)) as
      | { payload?: { data?: unknown; dataCrc32c?: unknown } }
      | undefined;
    const data = body?.payload?.data;
    if (typeof data !== 'string') throw new SecretError(`Secret Manager returned no payload for ${name}`);
    const bytes = Buffer.from(data, 'base64');
    const expected = body?.payload?.dataCrc32c;
    if (expected !== undefined && String(crc32c(bytes)) !== String(expected)) {
      throw new SecretError(`Secret Manager payload for ${name} failed its CRC32C check`);
    }
    return bytes.toString('utf8');
  }
}

async function errorStatus(res: Response): Promise<string | undefined> {
  const body = (await res.json().catch(() => undefined)) as { error?: { status?: unknown } } | undefined;
  const status = body?.error?.status;
  return typeof status === 'string' && /^[A-Z_]{1,40}$/.test(status) ? status : undefined;
}
