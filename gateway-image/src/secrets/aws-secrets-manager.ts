import {
  GetSecretValueCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import type { ParsedSecretRef } from '../config/secret-ref';
import { SecretError } from '../errors';
import { awsErrorName } from './aws-errors';
import type { SecretProvider } from './provider';

export interface AwsSecretsManagerProviderOptions {
  /**
   * Secrets Manager endpoint for every region; tests point it at a local fake.
   * @default the regional AWS endpoint of each secret's ARN
   */
  readonly endpoint?: string;
  /**
   * Where signing credentials come from.
   * @default the AWS SDK's default chain: environment variables, then the ECS task role
   * (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI), then instance metadata
   */
  readonly credentials?: SecretsManagerClientConfig['credentials'];
  /**
   * How long a resolved value is reused before Secrets Manager is asked again, so that rotation is
   * picked up without a restart. Call `forget()` to drop a value sooner (e.g. after the upstream
   * refused the credential). 0 disables the cache.
   * @default 300_000 (5 min)
   */
  readonly valueCacheTtlMs?: number;
  /** Time limit for one resolve, the SDK's own retries included. @default 5_000 */
  readonly timeoutMs?: number;
  /** Attempts per request for throttling and 5xx, with the SDK's backoff. @default 3 */
  readonly attempts?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/** arn:<partition>:secretsmanager:<region>:<account>:secret:<name>; the region picks the endpoint. */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:[^#\s]+$/;

/**
 * `aws-secretsmanager:<secret ARN>[#jsonKey]`. Returns the secret's whole SecretString (the
 * SecretResolver picks `#jsonKey` out of it). Values are cached per ARN for `valueCacheTtlMs`, and
 * concurrent resolves of one ARN share a single GetSecretValue, so a burst of new upstream
 * connections after a deploy or a cache expiry costs one API call, not one per connection.
 */
export class AwsSecretsManagerProvider implements SecretProvider {
  readonly scheme = 'aws-secretsmanager';
  private readonly endpoint: string | undefined;
  private readonly credentials: SecretsManagerClientConfig['credentials'];
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly now: () => number;
  private readonly clients = new Map<string, SecretsManagerClient>();
  private readonly cache = new Map<string, { value: string; expiresAtMs: number }>();
  private readonly inFlight = new Map<string, Promise<string>>();
  /** Bumped by forget(), so a read that started before it does not refill the cache. */
  private generation = 0;

  constructor(options: AwsSecretsManagerProviderOptions = {}) {
    this.endpoint = options.endpoint?.replace(/\/+$/, '');
    this.credentials = options.credentials;
    this.ttlMs = options.valueCacheTtlMs ?? 300_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.attempts = options.attempts ?? 3;
    this.now = options.now ?? Date.now;
    if (!(this.ttlMs >= 0)) throw new RangeError('valueCacheTtlMs must be >= 0');
    if (!(this.timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
    if (!Number.isInteger(this.attempts) || this.attempts < 1) throw new RangeError('attempts must be >= 1');
  }

  async resolve(ref: ParsedSecretRef): Promise<string> {
    const arn = ref.location;
    const region = SECRET_ARN.exec(arn)?.[1];
    if (ref.scheme !== this.scheme || region === undefined) {
      throw new SecretError(`not a Secrets Manager secret ARN: ${ref.scheme}:${arn.slice(0, 160)}`);
    }
    const hit = this.cache.get(arn);
    if (hit && this.now() < hit.expiresAtMs) return hit.value;
    const pending = this.inFlight.get(arn);
    if (pending) return pending;
    const generation = this.generation;
    const request = this.fetch(arn, region)
      .then((value) => {
        if (this.ttlMs > 0 && generation === this.generation) {
          this.cache.set(arn, { value, expiresAtMs: this.now() + this.ttlMs });
        }
        return value;
      })
      .finally(() => {
        if (this.inFlight.get(arn) === request) this.inFlight.delete(arn);
      });
    this.inFlight.set(arn, request);
    return request;
  }

  /**
   * Drops cached values (one ARN, or all), so the next resolve reads the current version. A read
   * already in flight is not joined either: it may have been answered before the rotation.
   */
  forget(arn?: string): void {
    this.generation++;
    if (arn === undefined) {
      this.cache.clear();
      this.inFlight.clear();
    } else {
      this.cache.delete(arn);
      this.inFlight.delete(arn);
    }
  }

  /** Closes the SDK clients' kept-alive connections. */
  close(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  private async fetch(arn: string, region: string): Promise<string> {
    let out: { SecretString?: string; SecretBinary?: Uint8Array };
    try {
      out = await this.client(region).send(new GetSecretValueCommand({ SecretId: arn }), {
        abortSignal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new SecretError(`Secrets Manager could not read ${arn}: ${awsErrorName(err)}`, {
        cause: safeCause(err),
      });
    }
    if (typeof out.SecretString === 'string') return out.SecretString;
    // Binary secrets (PEM keys uploaded with --secret-binary) are returned as their UTF-8 text.
    if (out.SecretBinary instanceof Uint8Array) return Buffer.from(out.SecretBinary).toString('utf8');
    throw new SecretError(`Secrets Manager returned no value for ${arn}`);
  }

  private client(region: string): SecretsManagerClient {
    let client = this.clients.get(region);
    if (!client) {
      client = new SecretsManagerClient({
        region,
        endpoint: this.endpoint,
        credentials: this.credentials,
        maxAttempts: this.attempts,
      });
      this.clients.set(region, client);
    }
    return client;
  }
}

/**
 * SDK errors carry the raw HTTP response ($response). An error response holds no secret value,
 * but keeping only name and message makes that a property of this code rather than of the SDK.
 */
function safeCause(err: unknown): Error | undefined {
  if (!(err instanceof Error)) return undefined;
  const cause = new Error(err.message.slice(0, 300));
  cause.name = err.name;
  return cause;
}
