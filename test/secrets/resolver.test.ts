import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretError } from '../../gateway-image/src/errors';
import { envProvider, fileProvider } from '../../gateway-image/src/secrets/local-providers';
import type { SecretProvider } from '../../gateway-image/src/secrets/provider';
import { SecretResolver } from '../../gateway-image/src/secrets/resolver';

describe('secret resolver', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-secrets-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('resolves env: and file: references, re-reading files so rotation is picked up', async () => {
    const file = join(dir, 'pw');
    await writeFile(file, 'first\n');
    const resolver = new SecretResolver([envProvider({ DB_PW: 's3cret' }), fileProvider()]);
    expect(await resolver.resolve('env:DB_PW')).toBe('s3cret');
    expect(await resolver.resolve(`file:${file}`)).toBe('first');
    await writeFile(file, 'rotated');
    expect(await resolver.resolve(`file:${file}`)).toBe('rotated');
  });

  it('names the reference, never a value, when it cannot resolve', async () => {
    const resolver = new SecretResolver([envProvider({}), fileProvider()]);
    await expect(resolver.resolve('env:MISSING')).rejects.toThrow(
      new SecretError('environment variable MISSING is not set (referenced as env:MISSING)'),
    );
    await expect(resolver.resolve(`file:${join(dir, 'absent')}`)).rejects.toThrow(
      /cannot read secret file .*absent \(ENOENT\)/,
    );
    await expect(resolver.resolve('plain-password')).rejects.toThrow(SecretError);
    await expect(resolver.resolve('plain-password')).rejects.not.toThrow(/plain-password/);
  });

  it('refuses cloud references when no provider for them is registered', async () => {
    const resolver = new SecretResolver();
    await expect(resolver.resolve('gcp-secretmanager:projects/p/secrets/s/versions/1')).rejects.toThrow(
      /no provider for gcp-secretmanager/,
    );
  });

  it('picks a JSON key from a provider value', async () => {
    const fake: SecretProvider = {
      scheme: 'aws-secretsmanager',
      resolve: async () => '{"username":"app","password":"pw-1"}',
    };
    const resolver = new SecretResolver([fake]);
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-x1';
    expect(await resolver.resolve(`aws-secretsmanager:${arn}#password`)).toBe('pw-1');
    await expect(resolver.resolve(`aws-secretsmanager:${arn}#port`)).rejects.toThrow(
      /has no string field "port"/,
    );
    await expect(resolver.resolve(`aws-secretsmanager:${arn}#port`)).rejects.not.toThrow(/pw-1/);
  });
});
