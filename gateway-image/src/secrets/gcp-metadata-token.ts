import { SecretError } from '../errors';

/** Something that hands out OAuth access tokens for Google APIs. */
export interface AccessTokenSource {
  getToken(): Promise<string>;
  /** Drop a cached token that an API has just refused (HTTP 401). */
  invalidate?(): void;
}

export interface MetadataTokenSourceOptions {
  /**
   * Base URL of the metadata server; tests point it at a local fake.
   * @default 'http://metadata.google.internal'
   */
  readonly metadataUrl?: string;
  /** Service account whose token is requested. @default 'default' (the VM's attached account) */
  readonly serviceAccount?: string;
  /** Refresh this long before the token expires, so a request never carries a token about to lapse. @default 60_000 */
  readonly refreshMarginMs?: number;
  /** Per-request time limit. @default 5_000 */
  readonly timeoutMs?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

interface CachedToken {
  readonly value: string;
  readonly refreshAtMs: number;
}

/**
 * Access tokens from the GCE metadata server, cached until shortly before they expire. Concurrent
 * callers share one in-flight request. No key file ever exists on the VM: the token is the
 * service account's identity.
 */
export class MetadataTokenSource implements AccessTokenSource {
  private readonly url: string;
  private readonly refreshMarginMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private cached: CachedToken | undefined;
  private inFlight: Promise<string> | undefined;

  constructor(options: MetadataTokenSourceOptions = {}) {
    const base = (options.metadataUrl ?? 'http://metadata.google.internal').replace(/\/+$/, '');
    const account = encodeURIComponent(options.serviceAccount ?? 'default');
    this.url = `${base}/computeMetadata/v1/instance/service-accounts/${account}/token`;
    this.refreshMarginMs = options.refreshMarginMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
    if (!(this.refreshMarginMs >= 0)) throw new RangeError('refreshMarginMs must be >= 0');
    if (!(this.timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
  }

  async getToken(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAtMs) return this.cached.value;
    this.inFlight ??= this.fetchToken().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Forget the cached token, e.g. after an API answered 401. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async fetchToken(): Promise<string> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        headers: { 'Metadata-Flavor': 'Google' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new SecretError('metadata server unreachable: no access token for Google APIs', { cause: err });
    }
    if (!res.ok) throw new SecretError(`metadata server refused an access token (HTTP ${res.status})`);
    const body = (await res.json().catch(() => undefined)) as
      | { access_token?: unknown; expires_in?: unknown }
      | undefined;
    if (typeof body?.access_token !== 'string' || typeof body.expires_in !== 'number') {
      throw new SecretError('metadata server answered without access_token and expires_in');
    }
    const refreshAtMs = this.now() + Math.max(0, body.expires_in * 1000 - this.refreshMarginMs);
    this.cached = { value: body.access_token, refreshAtMs };
    return body.access_token;
  }
}
