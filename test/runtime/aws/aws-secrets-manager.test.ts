import { parseSecretRef } from '../../../gateway-image/src/config/secret-ref';
import { SecretError } from '../../../gateway-image/src/errors';
import {
  AwsSecretsManagerProvider,
  type AwsSecretsManagerProviderOptions,
} from '../../../gateway-image/src/secrets/aws-secrets-manager';
import { SecretResolver } from '../../../gateway-image/src/secrets/resolver';
import { FakeAws, STATIC_KEYS } from './fake-aws';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:warden/ehr-db-AbCdEf';
const REF = parseSecretRef(`aws-secretsmanager:${ARN}`);

describe('aws-secretsmanager provider', () => {
  let aws: FakeAws;
  const providers: AwsSecretsManagerProvider[] = [];
  beforeEach(async () => {
    aws = await new FakeAws().start();
  });
  afterEach(async () => {
    for (const p of providers.splice(0)) p.close();
    await aws.stop();
  });

  function provider(extra: AwsSecretsManagerProviderOptions = {}): AwsSecretsManagerProvider {
    const p = new AwsSecretsManagerProvider({ endpoint: aws.url, credentials: STATIC_KEYS, ...extra });
    providers.push(p);
    return p;
  }

  it('reads the SecretString with a request signed for the region in the ARN', async () => {
    aws.secrets.set(ARN, 's3cr3t');
    await expect(provider().resolve(REF)).resolves.toBe('s3cr3t');
    expect(aws.calls).toEqual([
      { operation: 'GetSecretValue', region: 'eu-west-1', accessKeyId: STATIC_KEYS.accessKeyId },
    ]);
  });

  it('works through the SecretResolver, which picks #jsonKey out of an RDS-style secret', async () => {
    aws.secrets.set(ARN, JSON.stringify({ username: 'warden', password: 'pw-1', port: 5432 }));
    const resolver = new SecretResolver([provider()]);
    await expect(resolver.resolve(`aws-secretsmanager:${ARN}#password`)).resolves.toBe('pw-1');
    await expect(resolver.resolve(`aws-secretsmanager:${ARN}#port`)).resolves.toBe('5432');
  });

  it('returns a binary secret as its UTF-8 text', async () => {
    aws.secrets.set(ARN, Buffer.from('-----BEGIN PRIVATE KEY-----\n'));
    await expect(provider().resolve(REF)).resolves.toBe('-----BEGIN PRIVATE KEY-----\n');
  });

  it('reuses a value for 5 minutes by default and reads again after, so rotation needs no restart', async () => {
    let now = 0;
    aws.secrets.set(ARN, 'old');
    const p = provider({ now: () => now });
    expect(await p.resolve(REF)).toBe('old');
    aws.secrets.set(ARN, 'new');
    now += 299_999;
    expect(await p.resolve(REF)).toBe('old');
    now += 2;
    expect(await p.resolve(REF)).toBe('new');
    expect(aws.count('GetSecretValue')).toBe(2);
  });

  it('reads again after forget(), e.g. when the upstream refused the cached credential', async () => {
    aws.secrets.set(ARN, 'old');
    const p = provider();
    await p.resolve(REF);
    aws.secrets.set(ARN, 'new');
    p.forget(ARN);
    await expect(p.resolve(REF)).resolves.toBe('new');
  });

  it('does not cache with valueCacheTtlMs 0', async () => {
    aws.secrets.set(ARN, 'v');
    const p = provider({ valueCacheTtlMs: 0 });
    await p.resolve(REF);
    await p.resolve(REF);
    expect(aws.count('GetSecretValue')).toBe(2);
  });

  it('shares one GetSecretValue between concurrent resolves of the same ARN', async () => {
    aws.secrets.set(ARN, 'v');
    aws.secretDelayMs = 50;
    const p = provider();
    const all = await Promise.all(Array.from({ length: 5 }, () => p.resolve(REF)));
    expect(all).toEqual(['v', 'v', 'v', 'v', 'v']);
    expect(aws.count('GetSecretValue')).toBe(1);
  });

  it('names the ARN, never a value, when a read fails, and caches no failure', async () => {
    const p = provider({ attempts: 1 });
    const err = await p.resolve(REF).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect((err as SecretError).message).toBe(
      `Secrets Manager could not read ${ARN}: ResourceNotFoundException (HTTP 400)`,
    );
    aws.secrets.set(ARN, 'now-there');
    await expect(p.resolve(REF)).resolves.toBe('now-there');
  });

  it('keeps values out of errors even when an earlier read of the same secret succeeded', async () => {
    aws.secrets.set(ARN, 'hunter2-value');
    const p = provider({ valueCacheTtlMs: 0, attempts: 1 });
    await p.resolve(REF);
    aws.failNext('GetSecretValue', 500);
    const err = (await p.resolve(REF).catch((e: unknown) => e)) as SecretError;
    expect(err.message).toContain(ARN);
    const everything = `${err.message} ${err.stack} ${String(err.cause)} ${JSON.stringify(err)}`;
    expect(everything).not.toContain('hunter2');
  });

  it('retries throttling and 5xx with the SDK backoff', async () => {
    aws.secrets.set(ARN, 'v');
    aws.failNext('GetSecretValue', 503, 2);
    await expect(provider().resolve(REF)).resolves.toBe('v');
    expect(aws.count('GetSecretValue')).toBe(3);
  });

  it('fails closed, naming the ARN, when Secrets Manager is unreachable', async () => {
    const p = provider({ endpoint: 'http://127.0.0.1:1', attempts: 1 });
    await expect(p.resolve(REF)).rejects.toThrow(new RegExp(`^Secrets Manager could not read ${ARN}: `));
  });

  it('is refused by AWS when its signature does not match', async () => {
    aws.secrets.set(ARN, 'v');
    const wrongKey = { ...STATIC_KEYS, secretAccessKey: 'not-the-right-secret' };
    await expect(provider({ credentials: wrongKey, attempts: 1 }).resolve(REF)).rejects.toThrow(
      `Secrets Manager could not read ${ARN}: InvalidSignatureException (HTTP 403)`,
    );
  });

  it('refuses a location that is not a secret ARN', async () => {
    const bad = { scheme: 'aws-secretsmanager', location: 'arn:aws:s3:::bucket' } as const;
    await expect(provider().resolve(bad)).rejects.toThrow(/not a Secrets Manager secret ARN/);
    expect(aws.calls).toHaveLength(0);
  });

  it('validates its options once, in the constructor', () => {
    expect(() => new AwsSecretsManagerProvider({ valueCacheTtlMs: -1 })).toThrow(RangeError);
    expect(() => new AwsSecretsManagerProvider({ attempts: 0 })).toThrow(RangeError);
  });

  describe('with the default credential chain', () => {
    const saved = { ...process.env };
    beforeEach(() => {
      for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
      // No profile files and no instance metadata: only what each test sets is found.
      process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
      process.env.AWS_CONFIG_FILE = '/nonexistent/config';
      process.env.AWS_EC2_METADATA_DISABLED = 'true';
    });
    afterEach(() => {
      process.env = { ...saved };
    });

    it('signs with the ECS task role from the container credentials endpoint', async () => {
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${aws.url}/ecs-credentials`;
      process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = aws.containerToken;
      aws.secrets.set(ARN, 'from-task-role');
      const p = provider({ credentials: undefined });
      await expect(p.resolve(REF)).resolves.toBe('from-task-role');
      expect(aws.containerCredentialsIssued).toBe(1);
      expect(aws.calls[0]?.accessKeyId).toMatch(/^ASIAFAKETASKROLE/);
    });

    it('signs with keys from the environment', async () => {
      process.env.AWS_ACCESS_KEY_ID = STATIC_KEYS.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = STATIC_KEYS.secretAccessKey;
      aws.secrets.set(ARN, 'from-env');
      await expect(provider({ credentials: undefined }).resolve(REF)).resolves.toBe('from-env');
    });

    it('fails closed when no credentials are found', async () => {
      aws.secrets.set(ARN, 'unreachable');
      await expect(provider({ credentials: undefined, attempts: 1 }).resolve(REF)).rejects.toThrow(
        new RegExp(`^Secrets Manager could not read ${ARN}: `),
      );
      expect(aws.calls).toHaveLength(0);
    });
  });
});
