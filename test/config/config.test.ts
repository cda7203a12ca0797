import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configJsonSchema } from '../../gateway-image/src/config/json-schema';
import { loadConfigFile, validateConfig } from '../../gateway-image/src/config/load';
import { parseSecretRef } from '../../gateway-image/src/config/secret-ref';
import { ConfigError } from '../../gateway-image/src/errors';

const root = join(__dirname, '..', '..');

function minimal(): Record<string, unknown> {
  return {
    version: 1,
    identity: { issuers: [{ issuer: 'https://login.example.org/', audiences: ['warden'] }] },
    audit: { dir: '/var/lib/warden/audit', signingKey: 'file:/run/secrets/audit-key' },
  };
}

function problems(input: unknown): string[] {
  try {
    validateConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).issues];
  }
  throw new Error('expected the config to be refused');
}

describe('config contract', () => {
  it('accepts a minimal config and fills every default', () => {
    const cfg = validateConfig(minimal());
    expect(cfg.workers).toBe('auto');
    expect(cfg.policy.default).toBe('deny');
    expect(cfg.listeners.admin.port).toBe(8444);
    expect(cfg.identity.issuers[0]!.groupsClaim).toBe('groups');
    expect(cfg.identity.issuers[0]!.clockSkewSec).toBe(30);
    expect(cfg.identity.issuers[0]!.kind).toEqual({
      agentValues: ['agent'],
      agentWhenSubjectIsClient: true,
      default: 'human',
    });
    expect(cfg.approvals.timeoutMs).toBe(600_000);
    expect(cfg.audit.checkpointEvery).toBe(1000);
  });

  it('fills connection defaults: port, verify-full TLS, no classification', () => {
    const cfg = validateConfig({
      ...minimal(),
      connections: [
        {
          name: 'ehr',
          kind: 'postgres',
          upstream: { host: 'db', database: 'ehr', user: 'w', password: 'env:PW' },
        },
      ],
    });
    const conn = cfg.connections[0]!;
    expect(conn.kind).toBe('postgres');
    if (conn.kind !== 'postgres') return;
    expect(conn.upstream.port).toBe(5432);
    expect(conn.upstream.tls.mode).toBe('verify-full');
    expect(conn.phi).toBe(false);
    expect(conn.classification).toEqual({});
  });

  it('reports every problem at once, each naming its path, what was expected and what was found', () => {
    const issues = problems({
      version: 2,
      identity: { issuers: [{ issuer: 'not a url', audiences: [] }] },
      connections: [
        {
          name: 'ehr',
          kind: 'postgres',
          upstream: { host: 'db', port: 'five', database: 'ehr', user: 'w', password: 'env:PW' },
        },
        { name: 'x', kind: 'ftp' },
      ],
      audit: { dir: 'a', signingKey: 'env:K' },
      polcy: {},
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        'version: expected one of 1, found 2',
        expect.stringMatching(/^identity\.issuers\[0\]\.issuer: .*URL.*, found "not a url"$/),
        'identity.issuers[0].audiences: expected array to have >=1 items, found an array of 0',
        'connections[0].upstream.port: expected number, found "five"',
        'connections[1].kind: expected one of "postgres", "ssh", "http", "kubernetes", found "ftp"',
        expect.stringMatching(/^\(top level\): unknown key "polcy"/),
      ]),
    );
    expect(issues).toHaveLength(6);
  });

  it('never echoes a value that should have been a secret reference', () => {
    const issues = problems({
      ...minimal(),
      connections: [
        {
          name: 'ehr',
          kind: 'postgres',
          upstream: { host: 'db', database: 'ehr', user: 'w', password: 'hunter2-real-password' },
        },
      ],
    });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^connections\[0\]\.upstream\.password: expected a secret reference/);
    expect(issues.join('\n')).not.toContain('hunter2');
  });

  it('checks cross references: duplicate names, unknown connections and rules, clashing ports', () => {
    const issues = problems({
      ...minimal(),
      listeners: {
        postgres: { port: 7000, tls: { certificate: 'env:C', key: 'env:K' } },
        admin: { port: 7000, host: '127.0.0.1' },
      },
      connections: [
        {
          name: 'db',
          kind: 'postgres',
          upstream: { host: 'h', database: 'd', user: 'u', password: 'env:P' },
        },
        {
          name: 'db',
          kind: 'postgres',
          upstream: { host: 'h', database: 'd', user: 'u', password: 'env:P' },
        },
      ],
      access: { grants: [{ name: 'g', connections: ['nope'], principals: {} }] },
      policy: { rules: [{ name: 'r', decision: 'allow', connections: ['missing'] }] },
      approvals: { rules: [{ policyRules: ['ghost'], approverGroups: ['a'] }] },
    });
    expect(issues).toEqual([
      'connections[1].name: duplicate connection name "db"',
      'access.grants[0].connections[0]: unknown connection "nope"',
      'policy.rules[0].connections[0]: unknown connection "missing"',
      'approvals.rules[0].policyRules[0]: unknown policy rule "ghost"',
      'listeners.admin.port: port 7000 is already used by the postgres listener',
    ]);
  });

  it('refuses a brokered role declared twice, or again as upstream.user', () => {
    const issues = problems({
      ...minimal(),
      connections: [
        {
          name: 'db',
          kind: 'postgres',
          upstream: { host: 'h', database: 'd', user: 'app', password: 'env:P' },
          roles: [
            { user: 'reader', password: 'env:R' },
            { user: 'reader', password: 'env:R2' },
            { user: 'app', password: 'env:A', principals: { kinds: ['human'] } },
          ],
        },
      ],
    });
    expect(issues).toEqual([
      'connections[0].roles[1].user: role "reader" is brokered twice',
      'connections[0].roles[2].user: role "app" is brokered twice',
    ]);
  });

  it('requires TLS on an admin listener that is not loopback, and refuses plaintext passwords off loopback', () => {
    const issues = problems({
      ...minimal(),
      listeners: {
        admin: { host: '0.0.0.0' },
        postgres: {
          host: '0.0.0.0',
          tls: { certificate: 'env:C', key: 'env:K' },
          allowPlaintextPassword: true,
        },
      },
    });
    expect(issues).toEqual([
      'listeners.admin.tls: TLS is required when the admin listener is not on a loopback address',
      'listeners.postgres.allowPlaintextPassword: plaintext passwords are only allowed on a loopback listener',
    ]);
  });

  it('bounds session-token lifetime to one hour', () => {
    const issues = problems({
      ...minimal(),
      identity: {
        issuers: [{ issuer: 'https://i/', audiences: ['a'] }],
        sessionTokens: { lifetimeSec: 7200, signingKey: 'env:K' },
      },
    });
    expect(issues).toEqual(['identity.sessionTokens.lifetimeSec: expected number to be <=3600, found 7200']);
  });

  it('parses the four kinds of secret reference', () => {
    expect(parseSecretRef('env:PGPASSWORD')).toEqual({ scheme: 'env', location: 'PGPASSWORD' });
    expect(parseSecretRef('file:/run/secrets/x')).toEqual({ scheme: 'file', location: '/run/secrets/x' });
    expect(
      parseSecretRef(
        'aws-secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCd#password',
      ),
    ).toEqual({
      scheme: 'aws-secretsmanager',
      location: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCd',
      jsonKey: 'password',
    });
    expect(parseSecretRef('gcp-secretmanager:projects/p/secrets/s/versions/latest')).toEqual({
      scheme: 'gcp-secretmanager',
      location: 'projects/p/secrets/s/versions/latest',
    });
    expect(() => parseSecretRef('vault:x')).toThrow(TypeError);
  });

  it('loads a file, resolving relative directories against the file', async () => {
    const cfg = await loadConfigFile(join(root, 'examples/local/warden.json'));
    expect(cfg.audit.dir).toBe(join(root, '.warden/audit'));
    expect(cfg.connections.map((c) => c.name)).toEqual([
      'patients',
      'scratch',
      'lab-host',
      'fhir',
      'ehr-cluster',
    ]);
  });

  it('names the file when it is not JSON', async () => {
    await expect(loadConfigFile(join(root, 'README.md'))).rejects.toThrow(/README\.md is not valid JSON/);
  });

  it('exports a JSON Schema that documents defaults, and the committed schema file is current', async () => {
    const schema = configJsonSchema();
    const text = JSON.stringify(schema);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(text).toContain('"default":"deny"');
    expect(text).toContain('"default":900');
    const committed = JSON.parse(
      await readFile(join(root, 'gateway-image/warden-config.schema.json'), 'utf8'),
    );
    expect(committed).toEqual(schema);
  });
});
