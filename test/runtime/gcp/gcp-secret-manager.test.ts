import { parseSecretRef } from '../../../gateway-image/src/config/secret-ref';
import { SecretError } from '../../../gateway-image/src/errors';
import { crc32c } from '../../../gateway-image/src/secrets/gcp-crc32c';
import { MetadataTokenSource } from '../../../gateway-image/src/secrets/gcp-metadata-token';
import { GcpSecretManagerProvider } from '../../../gateway-image/src/secrets/gcp-secret-manager';
import { SecretResolver } from '../../../gateway-image/src/secrets/resolver';
import { FakeGoogle } from './fake-google';

const VERSION = 'projects/p1/secrets/db-password/versions/latest';

describe('gcp-secretmanager provider', () => {
  let google: FakeGoogle;
  beforeEach(async () => {
    google = await new FakeGoogle().start();
  });
  afterEach(() => google.stop());

  function provider(extra: { valueCacheTtlMs?: number; now?: () => number } = {}) {
    return new GcpSecretManagerProvider({ secretManagerUrl: google.url, metadataUrl: google.url, ...extra });
  }

  it('reads a version with a metadata-server token', async () => {
    google.secrets.set(VERSION, 's3cr3t');
    await expect(provider().resolve(parseSecretRef(`gcp-secretmanager:${VERSION}`))).resolves.toBe('s3cr3t');
    expect(google.tokensIssued).toBe(1);
  });

  it('works through the SecretResolver, which picks #jsonKey', async () => {
    google.secrets.set(VERSION, JSON.stringify({ username: 'warden', password: 'pw-1' }));
    const resolver = new SecretResolver([provider()]);
    await expect(resolver.resolve(`gcp-secretmanager:${VERSION}#password`)).resolves.toBe('pw-1');
  });

  it('caches the token until shortly before it expires', async () => {
    let now = 1_000_000;
    google.tokenLifetimeSec = 120;
    google.secrets.set(VERSION, 'v');
    const p = provider({ valueCacheTtlMs: 0, now: () => now });
    const ref = parseSecretRef(`gcp-secretmanager:${VERSION}`);
    await p.resolve(ref);
    await p.resolve(ref);
    expect(google.tokensIssued).toBe(1);
    now += 61_000; // inside the default 60 s refresh margin of a 120 s token
    await p.resolve(ref);
    expect(google.tokensIssued).toBe(2);
  });

  it('shares one token request between concurrent callers', async () => {
    const tokens = new MetadataTokenSource({ metadataUrl: google.url });
    const all = await Promise.all([tokens.getToken(), tokens.getToken(), tokens.getToken()]);
    expect(new Set(all).size).toBe(1);
    expect(google.tokensIssued).toBe(1);
  });

  it('reuses a value within its TTL and reads again after it, so rotation needs no restart', async () => {
    let now = 0;
    google.secrets.set(VERSION, 'old');
    const p = provider({ valueCacheTtlMs: 30_000, now: () => now });
    const ref = parseSecretRef(`gcp-secretmanager:${VERSION}`);
    expect(await p.resolve(ref)).toBe('old');
    google.secrets.set(VERSION, 'new');
    expect(await p.resolve(ref)).toBe('old');
    now += 30_001;
    expect(await p.resolve(ref)).toBe('new');
  });

  it('fetches a new token after the API answers 401', async () => {
    google.secrets.set(VERSION, 'v');
    const p = provider({ valueCacheTtlMs: 0 });
    const ref = parseSecretRef(`gcp-secretmanager:${VERSION}`);
    await p.resolve(ref);
    google.revokeTokens();
    await expect(p.resolve(ref)).rejects.toThrow(/HTTP 401 UNAUTHENTICATED/);
    await expect(p.resolve(ref)).resolves.toBe('v');
    expect(google.tokensIssued).toBe(2);
  });

  it('names the reference, never a value, when a secret is missing', async () => {
    const err = await provider()
      .resolve(parseSecretRef('gcp-secretmanager:projects/p1/secrets/nope/versions/3'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect((err as SecretError).message).toBe(
      'Secret Manager refused projects/p1/secrets/nope/versions/3: HTTP 404 NOT_FOUND',
    );
  });

  it('fails closed when the metadata server is unreachable', async () => {
    const p = new GcpSecretManagerProvider({
      secretManagerUrl: google.url,
      metadataUrl: 'http://127.0.0.1:1',
    });
    await expect(p.resolve(parseSecretRef(`gcp-secretmanager:${VERSION}`))).rejects.toThrow(
      /metadata server unreachable/,
    );
  });

  it('rejects a payload whose CRC32C does not match', async () => {
    google.secrets.set(VERSION, 'abc');
    google.corruptSecretChecksums = true;
    await expect(provider().resolve(parseSecretRef(`gcp-secretmanager:${VERSION}`))).rejects.toThrow(
      /failed its CRC32C check/,
    );
  });

  it('computes the standard CRC32C check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});
